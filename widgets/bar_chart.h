#pragma once

#include <QString>
#include <QWidget>

#include <vector>

class QCustomPlot;

namespace ckpt {

/// Horizontal bars, one per label, largest first (QCustomPlot): parameters per module, bytes
/// per dtype. Labels are kept whole; values are shown with the given formatter's text.
class BarChart final : public QWidget
{
    Q_OBJECT
public:
    struct Bar
    {
        QString label;
        double value = 0;
        QString valueText;
    };

    /// Largest first, or the order given (ranks 0, 1, 2, ... top down).
    enum class Order { Largest, AsGiven };

    explicit BarChart(QWidget *parent = nullptr);
    void setBars(std::vector<Bar> bars, const QString &axisLabel, int maxBars = 24, Order order = Order::Largest);
    QCustomPlot *plot() const { return m_plot; }

private:
    QCustomPlot *m_plot;
};

} // namespace ckpt
