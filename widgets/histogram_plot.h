#pragma once

#include <QWidget>

#include <vector>

class QCustomPlot;
class QCPBars;
class QCheckBox;

namespace ckpt {

/// A histogram of equal-width bins over [min, max] (QCustomPlot), with a log-count toggle.
class HistogramPlot final : public QWidget
{
    Q_OBJECT
public:
    explicit HistogramPlot(QWidget *parent = nullptr);

    void setHistogram(const std::vector<qint64> &counts, double min, double max);
    void clear();
    void setLogScale(bool log);
    void setValueLabel(const QString &label);
    void setMinimumPlotHeight(int pixels);
    bool logScale() const;
    QCustomPlot *plot() const { return m_plot; }

private:
    void refresh();

    QCustomPlot *m_plot;
    QCPBars *m_bars;
    QCheckBox *m_log;
    std::vector<qint64> m_counts;
    double m_min = 0, m_max = 1;
};

} // namespace ckpt
