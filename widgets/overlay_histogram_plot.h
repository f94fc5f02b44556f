#pragma once

#include <QColor>
#include <QString>
#include <QWidget>

#include <vector>

class QCustomPlot;
class QCheckBox;

namespace ckpt {

/// Several histograms over one value range drawn on top of each other as filled steps
/// (QCustomPlot), with a legend and a log-count toggle: a tensor before and after.
class OverlayHistogramPlot final : public QWidget
{
    Q_OBJECT
public:
    struct Series
    {
        QString name;
        QColor color;
        std::vector<qint64> counts;
    };

    explicit OverlayHistogramPlot(QWidget *parent = nullptr);

    void setSeries(std::vector<Series> series, double min, double max, const QString &xLabel);
    void clear();
    QCustomPlot *plot() const { return m_plot; }

private:
    void refresh();

    QCustomPlot *m_plot;
    QCheckBox *m_log;
    std::vector<Series> m_series;
    double m_min = 0, m_max = 1;
};

} // namespace ckpt
