#include "change_plot.h"

#include <QCheckBox>
#include <QToolTip>
#include <QVBoxLayout>
#include "plot_palette.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace ckpt {

ChangePlot::ChangePlot(QWidget *parent)
    : QWidget(parent), m_plot(new QCustomPlot(this)), m_log(new QCheckBox(tr("Log scale"), this)),
      m_ticker(new QCPAxisTickerText)
{
    followPalette(m_plot);
    m_bars = new QCPBars(m_plot->xAxis, m_plot->yAxis);
    m_bars->setPen(Qt::NoPen);
    m_bars->setBrush(QColor(66, 133, 244));
    m_highlight = new QCPBars(m_plot->xAxis, m_plot->yAxis);
    m_highlight->setPen(Qt::NoPen);
    m_highlight->setBrush(QColor(234, 67, 53));
    m_plot->xAxis->setLabel(tr("layer, in model order (drag to pan, wheel to zoom, double-click to see all)"));
    m_plot->xAxis->setTicker(m_ticker);
    m_plot->xAxis->setTickLabelRotation(35);
    m_plot->setMinimumHeight(190);
    m_plot->setMouseTracking(true);
    // Zoom and pan along the layers; the value axis follows the data.
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->axisRect()->setRangeDrag(Qt::Horizontal);
    m_plot->axisRect()->setRangeZoom(Qt::Horizontal);
    connect(m_plot->xAxis, qOverload<const QCPRange &>(&QCPAxis::rangeChanged), this, [this] { relabel(); });
    connect(m_plot, &QCustomPlot::mouseDoubleClick, this, [this] { showAll(); });
    m_log->setChecked(true);
    connect(m_log, &QCheckBox::toggled, this, &ChangePlot::refresh);
    connect(m_plot, &QCustomPlot::mouseMove, this, [this](QMouseEvent *e) {
        const int i = indexAt(m_plot->xAxis->pixelToCoord(e->pos().x()));
        if (i >= 0)
            QToolTip::showText(e->globalPosition().toPoint(),
                               QStringLiteral("%1\n%2").arg(m_labels[size_t(i)]).arg(m_values[size_t(i)], 0, 'g', 4), m_plot);
    });
    connect(m_plot, &QCustomPlot::mousePress, this, [this](QMouseEvent *e) {
        const int i = indexAt(m_plot->xAxis->pixelToCoord(e->pos().x()));
        if (i >= 0) Q_EMIT clicked(i);
    });
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot, 1);
    layout->addWidget(m_log);
}

void ChangePlot::showAll()
{
    m_plot->xAxis->setRange(-1, std::max<double>(double(m_values.size()), 1));
    relabel();
    m_plot->replot();
}

void ChangePlot::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    relabel();
}

QString ChangePlot::shortLabel(const QString &name)
{
    // Short enough to stand slanted under a bar: the last two parts, three when those say
    // little ("mlp.0" -> "encoder_layer_0.mlp.0"), cut at the front past 16 characters.
    const QStringList parts = name.split('.');
    QString out = parts.mid(std::max<qsizetype>(0, parts.size() - 2)).join('.');
    if (out.size() < 8 && parts.size() > 2) out = parts.mid(parts.size() - 3).join('.');
    if (out.size() > 16) out = QStringLiteral("…") + out.right(15); // the end says which one
    return out;
}

void ChangePlot::relabel()
{
    // As many layer names under the bars as fit side by side, slanted: every k-th in view.
    m_ticker->clear();
    if (m_values.empty()) return;
    const QCPRange range = m_plot->xAxis->range();
    const double shown = std::max(1.0, std::min(range.upper, double(m_values.size())) - std::max(range.lower, 0.0));
    const int room = std::max(1, m_plot->axisRect()->width() / std::max(1, fontMetrics().height() * 2));
    const int step = std::max(1, int(std::ceil(shown / room)));
    for (size_t i = 0; i < m_values.size(); i += size_t(step)) m_ticker->addTick(double(i), shortLabel(m_labels[i]));
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

QStringList ChangePlot::axisLabels() const
{
    QStringList out;
    for (auto it = m_ticker->ticks().begin(); it != m_ticker->ticks().end(); ++it) {
        const QCPRange range = m_plot->xAxis->range();
        if (it.key() >= range.lower && it.key() <= range.upper) out << it.value();
    }
    return out;
}

int ChangePlot::indexAt(double x) const
{
    const int i = int(std::lround(x));
    return i >= 0 && size_t(i) < m_values.size() ? i : -1;
}

void ChangePlot::setValues(const std::vector<QString> &labels, const std::vector<double> &values, const QString &yLabel)
{
    m_labels = labels;
    m_values = values;
    m_highlighted = -1;
    m_plot->yAxis->setLabel(yLabel);
    refresh();
    relabel(); // the range may not change (as many layers as before): the names do
}

void ChangePlot::setHighlighted(int index)
{
    m_highlighted = index;
    refresh();
}

void ChangePlot::refresh()
{
    const bool log = m_log->isChecked();
    QVector<double> x, y, hx, hy;
    double top = 0, bottom = INFINITY;
    for (size_t i = 0; i < m_values.size(); ++i) {
        const double v = std::isfinite(m_values[i]) ? m_values[i] : 0.0;
        if (v > 0) bottom = std::min(bottom, v);
        top = std::max(top, v);
        (int(i) == m_highlighted ? hx : x) << double(i);
        (int(i) == m_highlighted ? hy : y) << v;
    }
    m_bars->setData(x, y, true);
    m_highlight->setData(hx, hy, true);
    const double width = m_values.size() > 200 ? 1.0 : 0.8;
    m_bars->setWidth(width);
    m_highlight->setWidth(width);
    if (log && top > 0) {
        m_plot->yAxis->setScaleType(QCPAxis::stLogarithmic);
        m_plot->yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTickerLog));
        m_bars->setBaseValue(bottom / 2);
        m_highlight->setBaseValue(bottom / 2);
        m_plot->yAxis->setRange(bottom / 2, top * 2);
    } else {
        m_plot->yAxis->setScaleType(QCPAxis::stLinear);
        m_plot->yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
        m_bars->setBaseValue(0);
        m_highlight->setBaseValue(0);
        m_plot->yAxis->setRange(0, top > 0 ? top * 1.05 : 1);
    }
    m_plot->xAxis->setRange(-1, std::max<double>(double(m_values.size()), 1));
    m_plot->replot();
}

} // namespace ckpt
