#include "bar_chart.h"

#include <QVBoxLayout>
#include "plot_palette.h"

#include <qcustomplot.h>

#include <algorithm>

namespace ckpt {

BarChart::BarChart(QWidget *parent) : QWidget(parent), m_plot(new QCustomPlot(this))
{
    followPalette(m_plot);
    setObjectName("barChart");
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);

}

void BarChart::setBars(std::vector<Bar> bars, const QString &axisLabel, int maxBars, Order order)
{
    if (order == Order::Largest)
        std::stable_sort(bars.begin(), bars.end(), [](const Bar &a, const Bar &b) { return a.value > b.value; });
    if (int(bars.size()) > maxBars) {
        Bar rest{tr("(%1 others)").arg(bars.size() - size_t(maxBars) + 1), 0, {}};
        for (size_t i = size_t(maxBars) - 1; i < bars.size(); ++i) rest.value += bars[i].value;
        bars.resize(size_t(maxBars) - 1);
        bars.push_back(rest);
    }
    m_plot->clearPlottables();
    m_plot->clearItems();
    auto *plottable = new QCPBars(m_plot->yAxis, m_plot->xAxis);
    plottable->setPen(Qt::NoPen);
    plottable->setBrush(QColor(52, 168, 83, 200));
    QVector<double> keys, values;
    QVector<QString> labels;
    double top = 0;
    // Largest at the top: the y axis counts upwards.
    for (size_t i = 0; i < bars.size(); ++i) {
        keys << double(bars.size() - i);
        values << bars[i].value;
        labels << bars[i].label;
        top = std::max(top, bars[i].value);
    }
    plottable->setData(keys, values, true);
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    ticker->addTicks(keys, labels);
    m_plot->yAxis->setTicker(ticker);
    m_plot->yAxis->setRange(0.3, double(bars.size()) + 0.7);
    m_plot->xAxis->setRange(0, top > 0 ? top * 1.25 : 1);
    m_plot->xAxis->setLabel(axisLabel);
    for (size_t i = 0; i < bars.size(); ++i) {
        if (bars[i].valueText.isEmpty()) continue;
        auto *text = new QCPItemText(m_plot);
        text->setPositionAlignment(Qt::AlignLeft | Qt::AlignVCenter);
        text->position->setCoords(bars[i].value, keys[int(i)]);
        text->setText(QStringLiteral(" ") + bars[i].valueText);
        text->setFont(QFont(font().family(), 8));
        text->setColor(m_plot->palette().color(QPalette::WindowText));
    }
    // Bars keep a readable thickness: the chart grows with their number, not with the page.
    setFixedHeight(std::max(110, 24 * int(bars.size()) + 60));
    m_plot->replot();
}

} // namespace ckpt
