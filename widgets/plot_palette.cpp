#include "plot_palette.h"

#include <QEvent>
#include <QObject>
#include <qcustomplot.h>

namespace ckpt {
namespace {

void applyPalette(QCustomPlot *plot)
{
    const QPalette p = plot->palette();
    const QColor text = p.color(QPalette::WindowText);
    QColor grid = p.color(QPalette::Mid);
    grid.setAlpha(110);
    plot->setBackground(p.color(QPalette::Base));
    for (QCPAxis *axis : plot->axisRect()->axes()) {
        axis->setBasePen(QPen(text));
        axis->setTickPen(QPen(text));
        axis->setSubTickPen(QPen(text));
        axis->setTickLabelColor(text);
        axis->setLabelColor(text);
        axis->grid()->setPen(QPen(grid, 1, Qt::DotLine));
        axis->grid()->setZeroLinePen(QPen(grid, 1));
    }
    QColor legend = p.color(QPalette::Base);
    legend.setAlpha(220);
    plot->legend->setBrush(legend);
    plot->legend->setTextColor(text);
    plot->legend->setBorderPen(QPen(p.color(QPalette::Mid)));
    for (int i = 0; i < plot->itemCount(); ++i) // value labels beside bars
        if (auto *label = qobject_cast<QCPItemText *>(plot->item(i))) label->setColor(text);
    plot->replot();
}

class PaletteFollower final : public QObject
{
public:
    using QObject::QObject;
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (event->type() == QEvent::PaletteChange) applyPalette(static_cast<QCustomPlot *>(watched));
        return false;
    }
};

} // namespace

void followPalette(QCustomPlot *plot)
{
    plot->installEventFilter(new PaletteFollower(plot));
    applyPalette(plot);
}

} // namespace ckpt
