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
    : QWidget(parent), m_plot(new QCustomPlot(this)), m_log(new QCheckBox(tr("Log scale"), this))
{
    followPalette(m_plot);
    m_bars = new QCPBars(m_plot->xAxis, m_plot->yAxis);
    m_bars->setPen(Qt::NoPen);
    m_bars->setBrush(QColor(66, 133, 244));
    m_highlight = new QCPBars(m_plot->xAxis, m_plot->yAxis);
    m_highlight->setPen(Qt::NoPen);
    m_highlight->setBrush(QColor(234, 67, 53));
    m_plot->xAxis->setLabel(tr("layer, in model order"));
    m_plot->setMinimumHeight(110);
    m_plot->setMouseTracking(true);
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
