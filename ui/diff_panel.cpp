#include "diff_panel.h"

#include "diff_document.h"
#include "diff_table_model.h"
#include "display_name.h"
#include "report_panel_layout.h"

#include "model/checkpoint/checkpoint_summary.h"
#include "widgets/change_plot.h"
#include "widgets/histogram_plot.h"
#include "widgets/message_banner.h"
#include "widgets/overlay_histogram_plot.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDragEnterEvent>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QTimer>
#include <QTableView>
#include <QVBoxLayout>

namespace ckpt {

DiffPanel::DiffPanel(DiffDocument *doc, QWidget *parent)
    : QWidget(parent),
      m_doc(doc),
      m_model(new DiffTableModel(this)),
      m_proxy(new QSortFilterProxyModel(this)),
      m_sides(new QLabel(this)),
      m_summary(new QLabel(this)),
      m_align(new QCheckBox(tr("Align through the rules (renames, drops, layout)"), this)),
      m_progress(new QProgressBar(this)),
      m_cancel(new QPushButton(tr("Cancel"), this)),
      m_filter(new QComboBox(this)),
      m_banner(new MessageBanner(this)),
      m_table(new QTableView(this)),
      m_change(new ChangePlot(this)),
      m_values(new OverlayHistogramPlot(this)),
      m_difference(new HistogramPlot(this)),
      m_tensorTitle(new QLabel(this))
{
    setAcceptDrops(true);
    auto *choose = new QPushButton(tr("&Compare With…"), this);
    choose->setToolTip(tr("A second checkpoint to diff against the open one (Ctrl+D); or drop it here"));
    connect(choose, &QPushButton::clicked, this, &DiffPanel::chooseRequested);
    m_align->setChecked(m_doc->alignWithRules());
    connect(m_align, &QCheckBox::toggled, m_doc, &DiffDocument::setAlignWithRules);
    m_progress->setRange(0, 1000);
    m_progress->setMaximumWidth(160);
    m_progress->hide();
    m_cancel->hide();
    connect(m_cancel, &QPushButton::clicked, m_doc, &DiffDocument::cancel);
    m_filter->addItem(tr("All names"));
    for (auto s : {TensorDiff::Status::Changed, TensorDiff::Status::Identical, TensorDiff::Status::Added,
                   TensorDiff::Status::Removed, TensorDiff::Status::ShapeChanged, TensorDiff::Status::DtypeChanged})
        m_filter->addItem(DiffTableModel::statusText(s), DiffTableModel::statusText(s));
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(DiffTableModel::SortRole);
    m_proxy->setFilterRole(DiffTableModel::StatusRole);
    m_proxy->setFilterKeyColumn(DiffTableModel::StatusColumn);
    connect(m_filter, &QComboBox::currentIndexChanged, this, [this](int i) {
        const QString status = m_filter->itemData(i).toString();
        m_proxy->setFilterRegularExpression(status.isEmpty() ? QString() : "^" + QRegularExpression::escape(status) + "$");
    });

    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(DiffTableModel::NameColumn, Qt::AscendingOrder);
    // A metric's first click shows the biggest changes first; a second click turns it round.
    connect(m_table->horizontalHeader(), &QHeaderView::sortIndicatorChanged, this, [this](int column, Qt::SortOrder order) {
        const bool metric = column >= DiffTableModel::RelColumn && column <= DiffTableModel::ChangedColumn;
        const bool firstClick = column != m_sortColumn;
        m_sortColumn = column;
        // Cosine: the smallest is the biggest change.
        const Qt::SortOrder wanted = column == DiffTableModel::CosineColumn ? Qt::AscendingOrder : Qt::DescendingOrder;
        if (firstClick && metric && order != wanted)
            QTimer::singleShot(0, this, [this, column, wanted] { m_table->sortByColumn(column, wanted); });
    });
    setUpReportTable(m_table);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setColumnWidth(DiffTableModel::NameColumn, 230);
    for (int c = DiffTableModel::StatusColumn; c < DiffTableModel::ColumnCount; ++c) m_table->setColumnWidth(c, 78);
    m_table->setColumnWidth(DiffTableModel::CosineColumn, 92);
    m_table->setColumnWidth(DiffTableModel::AColumn, 130);
    m_table->setColumnWidth(DiffTableModel::BColumn, 130);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &DiffPanel::selectionChanged);
    connect(m_table, &QTableView::activated, this, [this](const QModelIndex &index) {
        const DiffReport *r = m_doc->report();
        const int i = index.data(DiffTableModel::IndexRole).toInt();
        if (r && i >= 0 && size_t(i) < r->tensors.size() && r->tensors[size_t(i)].a >= 0)
            Q_EMIT entryActivated(r->tensors[size_t(i)].a);
    });

    auto *top = new QHBoxLayout;
    top->addWidget(choose);
    top->addWidget(m_sides, 1);
    top->addWidget(m_align);
    top->addWidget(m_progress);
    top->addWidget(m_cancel);
    top->addWidget(new QLabel(tr("Show:"), this));
    top->addWidget(m_filter);

    auto *plots = new QWidget(this);
    auto *plotLayout = new QVBoxLayout(plots);
    plotLayout->setContentsMargins(0, 0, 0, 0);
    plotLayout->addWidget(new QLabel(tr("<b>Relative change per layer</b> (model order; click a bar)"), plots));
    plotLayout->addWidget(m_change, 3);
    plotLayout->addWidget(m_tensorTitle);
    auto *hists = new QHBoxLayout;
    hists->addWidget(m_values, 1);
    hists->addWidget(m_difference, 1);
    plotLayout->addLayout(hists, 3);
    m_tensorTitle->setText(tr("Select a tensor for its histograms."));
    m_difference->setMinimumPlotHeight(110);
    connect(m_change, &ChangePlot::clicked, this, [this](int module) {
        const DiffReport *r = m_doc->report();
        if (r && module >= 0 && size_t(module) < r->modules.size()) selectTensor(r->modules[size_t(module)].firstTensor);
    });

    layOutReportPanel(this, top, {m_banner, m_summary}, m_table, plots);

    connect(m_doc, &DiffDocument::started, this, [this] {
        m_banner->clear();
        m_progress->setValue(0);
        m_progress->show();
        m_cancel->show();
    });
    connect(m_doc, &DiffDocument::progress, this, [this](double f) { m_progress->setValue(int(f * 1000)); });
    connect(m_doc, &DiffDocument::finished, this, &DiffPanel::refresh);
    connect(m_doc, &DiffDocument::failed, this, [this](const QString &message) {
        m_progress->hide();
        m_cancel->hide();
        m_banner->showMessage(MessageBanner::Level::Error, tr("Diff not made: %1").arg(message));
    });
    connect(m_doc, &DiffDocument::deltaReady, this, &DiffPanel::showDelta);
    connect(m_doc, &DiffDocument::deltaFailed, this, [this](int, const QString &message) {
        m_tensorTitle->setText(tr("No histograms: %1").arg(message));
    });
    refresh();
}

void DiffPanel::refresh()
{
    m_progress->hide();
    m_cancel->hide();
    const DiffReport *r = m_doc->report();
    m_model->setReport(r);
    if (r) { // the names as wide as they are, up to 45% of the table
        m_table->resizeColumnToContents(DiffTableModel::NameColumn);
        const int most = std::max(230, m_table->viewport()->width() * 45 / 100);
        m_table->setColumnWidth(DiffTableModel::NameColumn,
                                std::clamp(m_table->columnWidth(DiffTableModel::NameColumn), 160, most));
    }
    m_values->clear();
    m_difference->clear();
    if (!r) {
        m_sides->setText(m_doc->pathA().isEmpty() ? tr("Open a checkpoint, then compare it with another.")
                                                  : tr("A: %1 — choose B to compare with.").arg(QFileInfo(m_doc->pathA()).fileName()));
        m_summary->clear();
        m_change->setValues({}, {}, tr("||a−b|| / ||a||"));
        return;
    }
    m_sides->setText(tr("A: %1   B: %2").arg(QFileInfo(m_doc->pathA()).fileName(), QFileInfo(m_doc->pathB()).fileName()));
    m_sides->setToolTip(m_doc->pathA() + "\n" + m_doc->pathB());
    m_summary->setText(
        tr("%1 names: <b>%2 changed</b>, %3 identical, %4 added, %5 removed, %6 shape changed, %7 dtype changed"
           " · parameters in changed tensors: %8 of %9")
            .arg(r->tensors.size())
            .arg(r->changed)
            .arg(r->identical)
            .arg(r->added)
            .arg(r->removed)
            .arg(r->shapeChanged)
            .arg(r->dtypeChanged)
            .arg(QString::fromStdString(humanCount(r->parametersChanged)),
                 QString::fromStdString(humanCount(r->parametersA))));
    if (r->identicalOverall())
        m_banner->showMessage(MessageBanner::Level::Info, tr("The two checkpoints hold the same weights, byte for byte."));
    std::vector<QString> labels;
    std::vector<double> values;
    for (const auto &m : r->modules) {
        labels.push_back(m.module.empty() ? tr("(top level)") : displayName(m.module));
        values.push_back(m.relChange);
    }
    m_change->setValues(labels, values, tr("||a−b|| / ||a||"));
}

void DiffPanel::selectTensor(int index)
{
    for (int row = 0; row < m_proxy->rowCount(); ++row) {
        const QModelIndex i = m_proxy->index(row, 0);
        if (i.data(DiffTableModel::IndexRole).toInt() != index) continue;
        m_table->setCurrentIndex(i);
        m_table->scrollTo(i);
        return;
    }
}

void DiffPanel::selectionChanged()
{
    const QModelIndex current = m_table->currentIndex();
    const DiffReport *r = m_doc->report();
    if (!current.isValid() || !r) return;
    const int index = current.data(DiffTableModel::IndexRole).toInt();
    const TensorDiff &d = r->tensors[size_t(index)];
    m_change->setHighlighted(d.module); // its module in the change plot
    m_values->clear();
    m_difference->clear();
    if (d.a < 0 || d.b < 0 || d.shapeA != d.shapeB) {
        m_tensorTitle->setText(tr("%1: %2, no values to compare").arg(displayName(d.name), DiffTableModel::statusText(d.status)));
        return;
    }
    m_tensorTitle->setText(tr("%1: computing histograms…").arg(displayName(d.name)));
    m_doc->requestDelta(index);
}

void DiffPanel::showDelta(int index, const TensorDelta &delta)
{
    const DiffReport *r = m_doc->report();
    if (!r || size_t(index) >= r->tensors.size()) return;
    m_tensorTitle->setText(tr("<b>%1</b>: A and B overlaid (left), a − b (right)").arg(displayName(r->tensors[size_t(index)].name).toHtmlEscaped()));
    m_values->setSeries({{tr("A"), QColor(66, 133, 244), {delta.histogramA.begin(), delta.histogramA.end()}},
                         {tr("B"), QColor(234, 67, 53), {delta.histogramB.begin(), delta.histogramB.end()}}},
                        delta.valueMin, delta.valueMax, tr("value"));
    m_difference->setHistogram({delta.histogram.begin(), delta.histogram.end()}, delta.histMin, delta.histMax);
    m_difference->setValueLabel(tr("a − b"));
}

void DiffPanel::dragEnterEvent(QDragEnterEvent *event)
{
    if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void DiffPanel::dropEvent(QDropEvent *event)
{
    const auto urls = event->mimeData()->urls();
    if (urls.isEmpty() || !urls.first().isLocalFile()) return;
    event->acceptProposedAction();
    m_doc->compareWith(urls.first().toLocalFile());
}

} // namespace ckpt
