#include "report_panel_layout.h"

#include <QBoxLayout>
#include <QHeaderView>
#include <QSplitter>
#include <QTableView>

namespace ckpt {

void setUpReportTable(QTableView *table)
{
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setTextElideMode(Qt::ElideMiddle);
    table->setWordWrap(false);
    table->verticalHeader()->hide();
    table->verticalHeader()->setDefaultSectionSize(table->fontMetrics().height() + 6);
}

void layOutReportPanel(QWidget *panel, QBoxLayout *controls, const QList<QWidget *> &above, QTableView *table,
                       QWidget *detail)
{
    auto *split = new QSplitter(Qt::Horizontal, panel);
    split->addWidget(table);
    split->addWidget(detail);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(panel);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(controls);
    for (QWidget *w : above) layout->addWidget(w);
    layout->addWidget(split, 1);
}

} // namespace ckpt
