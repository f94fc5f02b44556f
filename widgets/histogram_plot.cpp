#include "histogram_plot.h"

#include <QCheckBox>
#include <QVBoxLayout>
#include "plot_palette.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace ckpt {

HistogramPlot::HistogramPlot(QWidget *parent)
    : QWidget(parent), m_plot(new QCustomPlot(this)), m_log(new QCheckBox(tr("Log counts"), this))
{
    followPalette(m_plot);
    setObjectName("histogramPlot");
    m_log->setObjectName("histogramLog");
    m_bars = new QCPBars(m_plot->xAxis, m_plot->yAxis);
    m_bars->setPen(Qt::NoPen);
    m_bars->setBrush(QColor(66, 133, 244, 200));
    m_bars->setWidthType(QCPBars::wtPlotCoords);
    m_plot->xAxis->setLabel(tr("value"));
    m_plot->yAxis->setLabel(tr("count"));
    m_plot->setMinimumHeight(180);
    connect(m_log, &QCheckBox::toggled, this, &HistogramPlot::refresh);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot, 1);
    layout->addWidget(m_log);
}

void HistogramPlot::setHistogram(const std::vector<qint64> &counts, double min, double max)
{
    m_counts = counts;
    m_min = min;
    m_max = max;
    refresh();
}

void HistogramPlot::clear()
{
    m_counts.clear();
    refresh();
}

void HistogramPlot::setLogScale(bool log) { m_log->setChecked(log); }

void HistogramPlot::setMinimumPlotHeight(int pixels) { m_plot->setMinimumHeight(pixels); }

void HistogramPlot::setValueLabel(const QString &label)
{
    m_plot->xAxis->setLabel(label);
    m_plot->replot();
}
bool HistogramPlot::logScale() const { return m_log->isChecked(); }

void HistogramPlot::refresh()
{
    const bool log = m_log->isChecked();
    QVector<double> x, y;
    const int n = int(m_counts.size());
    qint64 top = 1;
    if (n && !(m_max > m_min)) { // a constant tensor: one bar at its value, on an axis around it
        qint64 all = 0;
        for (qint64 c : m_counts) all += c;
        const double span = std::max(std::abs(m_min) * 0.1, 0.5);
        m_bars->setWidth(span / 5);
        m_bars->setData({m_min}, {double(all)}, true);
        m_plot->yAxis->setScaleType(log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
        m_plot->yAxis->setRange(log ? 0.5 : 0, double(std::max<qint64>(all, 1)) * (log ? 2 : 1.05));
        m_plot->xAxis->setRange(m_min - span, m_min + span);
        m_plot->replot();
        return;
    }
    const double width = n ? (m_max - m_min) / n : 1.0;
    for (int i = 0; i < n; ++i) {
        x << m_min + (i + 0.5) * width;
        // On a log axis an empty bin has no bar; 0.5 keeps it off the axis.
        y << (log && m_counts[size_t(i)] == 0 ? 0.5 : double(m_counts[size_t(i)]));
        top = std::max(top, m_counts[size_t(i)]);
    }
    m_bars->setWidth(width);
    m_bars->setData(x, y, true);
    m_plot->yAxis->setScaleType(log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (log) {
        QSharedPointer<QCPAxisTickerLog> ticker(new QCPAxisTickerLog);
        m_plot->yAxis->setTicker(ticker);
        m_plot->yAxis->setRange(0.5, double(top) * 2);
    } else {
        m_plot->yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
        m_plot->yAxis->setRange(0, double(top) * 1.05);
    }
    m_plot->xAxis->setRange(m_min - width, m_max + width);
    m_plot->replot();
}

} // namespace ckpt
