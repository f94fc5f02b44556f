#pragma once

#include <QSharedPointer>
#include <QString>
#include <QStringList>
#include <QWidget>

#include <vector>

class QCustomPlot;
class QCPBars;
class QCPAxisTickerText;
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
    /// The layer names under the axis, in the visible range.
    QStringList axisLabels() const;
    /// The whole range again (what a double-click does).
    void showAll();

Q_SIGNALS:
    void clicked(int index);

private:
    void refresh();
    void relabel();
    int indexAt(double x) const;
    static QString shortLabel(const QString &name);
    void resizeEvent(QResizeEvent *event) override;

    QCustomPlot *m_plot;
    QCPBars *m_bars;
    QCPBars *m_highlight;
    QCheckBox *m_log;
    QSharedPointer<QCPAxisTickerText> m_ticker;
    std::vector<QString> m_labels;
    std::vector<double> m_values;
    int m_highlighted = -1;
};

} // namespace ckpt
