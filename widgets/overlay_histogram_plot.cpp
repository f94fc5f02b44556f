#include "overlay_histogram_plot.h"

#include <QCheckBox>
#include <QVBoxLayout>
#include "plot_palette.h"

#include <qcustomplot.h>

#include <algorithm>

namespace ckpt {

OverlayHistogramPlot::OverlayHistogramPlot(QWidget *parent)
    : QWidget(parent), m_plot(new QCustomPlot(this)), m_log(new QCheckBox(tr("Log counts"), this))
{
    followPalette(m_plot);
    m_plot->yAxis->setLabel(tr("count"));
    m_plot->setMinimumHeight(110);
    m_plot->legend->setVisible(true);
    // The legend in a row of its own above the plot, never over the data.
    auto *legendRow = new QCPLayoutGrid;
    m_plot->plotLayout()->insertRow(0);
    m_plot->plotLayout()->addElement(0, 0, legendRow);
    legendRow->addElement(0, 0, m_plot->legend);
    m_plot->legend->setFillOrder(QCPLegend::foColumnsFirst);
    m_plot->plotLayout()->setRowStretchFactor(0, 0.001);
    legendRow->setMargins(QMargins(0, 0, 0, 0));
    connect(m_log, &QCheckBox::toggled, this, &OverlayHistogramPlot::refresh);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot, 1);
    layout->addWidget(m_log);
}

void OverlayHistogramPlot::setSeries(std::vector<Series> series, double min, double max, const QString &xLabel)
{
    m_series = std::move(series);
    m_min = min;
    m_max = max > min ? max : min + 1;
    m_plot->xAxis->setLabel(xLabel);
    refresh();
}

void OverlayHistogramPlot::clear()
{
    m_series.clear();
    refresh();
}

void OverlayHistogramPlot::refresh()
{
    m_plot->clearGraphs();
    const bool log = m_log->isChecked();
    qint64 top = 1;
    for (const auto &s : m_series) {
        QCPGraph *g = m_plot->addGraph();
        g->setName(s.name);
        g->setLineStyle(QCPGraph::lsStepCenter);
        g->setPen(QPen(s.color, 1.5));
        QColor fill = s.color;
        fill.setAlpha(60);
        g->setBrush(fill);
        const int n = int(s.counts.size());
        const double width = n ? (m_max - m_min) / n : 1.0;
        QVector<double> x, y;
        for (int i = 0; i < n; ++i) {
            x << m_min + (i + 0.5) * width;
            y << (log && s.counts[size_t(i)] == 0 ? 0.5 : double(s.counts[size_t(i)]));
            top = std::max(top, s.counts[size_t(i)]);
        }
        g->setData(x, y, true);
    }
    m_plot->yAxis->setScaleType(log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    m_plot->yAxis->setTicker(log ? QSharedPointer<QCPAxisTicker>(new QCPAxisTickerLog)
                                 : QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    m_plot->yAxis->setRange(log ? 0.5 : 0, log ? double(top) * 2 : double(top) * 1.05);
    m_plot->xAxis->setRange(m_min, m_max);
    m_plot->legend->setVisible(!m_series.empty());
    m_plot->replot();
}

} // namespace ckpt
