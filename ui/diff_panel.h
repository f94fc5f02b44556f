#pragma once

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;

namespace ckpt {

class ChangePlot;
class DiffDocument;
class DiffTableModel;
class HistogramPlot;
class MessageBanner;
class OverlayHistogramPlot;
struct TensorDelta;

/// The diff view: every name with its status (coloured, filterable) and sortable metrics, the
/// relative change per layer in model order, and for the selected tensor both histograms
/// overlaid plus the histogram of the difference. Drop a file here to compare with it.
class DiffPanel final : public QWidget
{
    Q_OBJECT
public:
    explicit DiffPanel(DiffDocument *doc, QWidget *parent = nullptr);

    QTableView *table() const { return m_table; }
    QComboBox *statusFilter() const { return m_filter; }
    ChangePlot *changePlot() const { return m_change; }
    OverlayHistogramPlot *valuesPlot() const { return m_values; }
    HistogramPlot *differencePlot() const { return m_difference; }
    MessageBanner *banner() const { return m_banner; }
    /// Selects the row of report tensor `index` (if the filter shows it).
    void selectTensor(int index);

Q_SIGNALS:
    void chooseRequested();
    /// A row was activated (double-click, Enter): A's checkpoint entry it stands for.
    void entryActivated(int entry);

protected:
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void refresh();
    void showDelta(int index, const TensorDelta &delta);
    void selectionChanged();

    DiffDocument *m_doc;
    DiffTableModel *m_model;
    QSortFilterProxyModel *m_proxy;
    QLabel *m_sides;
    QLabel *m_summary;
    QCheckBox *m_align;
    QProgressBar *m_progress;
    QPushButton *m_cancel;
    QComboBox *m_filter;
    MessageBanner *m_banner;
    QTableView *m_table;
    ChangePlot *m_change;
    OverlayHistogramPlot *m_values;
    HistogramPlot *m_difference;
    QLabel *m_tensorTitle;
    int m_sortColumn = 0; ///< the column sorted by before the last click
};

} // namespace ckpt
