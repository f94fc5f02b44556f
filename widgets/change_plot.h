#pragma once

#include <QString>
#include <QWidget>

#include <vector>

class QCustomPlot;
class QCPBars;
class QCheckBox;

namespace ckpt {

/// One bar per item in order (QCustomPlot), e.g. the relative change of every layer in
/// model order: where fine-tuning moved the weights. Log scale on demand; hovering shows
/// the item's label, clicking reports its index.
class ChangePlot final : public QWidget
{
    Q_OBJECT
public:
    explicit ChangePlot(QWidget *parent = nullptr);

    void setValues(const std::vector<QString> &labels, const std::vector<double> &values, const QString &yLabel);
    void setHighlighted(int index);
    QCustomPlot *plot() const { return m_plot; }

Q_SIGNALS:
    void clicked(int index);

private:
    void refresh();
    int indexAt(double x) const;

    QCustomPlot *m_plot;
    QCPBars *m_bars;
    QCPBars *m_highlight;
    QCheckBox *m_log;
    std::vector<QString> m_labels;
    std::vector<double> m_values;
    int m_highlighted = -1;
};

} // namespace ckpt
