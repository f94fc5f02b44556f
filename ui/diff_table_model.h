#pragma once

#include "model/diff/checkpoint_diff.h"

#include <QAbstractTableModel>
#include <QColor>

namespace ckpt {

/// The diff as a table: name, status (coloured), the metrics of changed tensors, both sides'
/// dtype and shape. SortRole gives numbers for sorting; StatusRole the status for filtering.
class DiffTableModel final : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { NameColumn, StatusColumn, RelColumn, MaxAbsColumn, MeanAbsColumn, CosineColumn,
                  ChangedColumn, AColumn, BColumn, ColumnCount };
    enum Role { SortRole = Qt::UserRole + 1, StatusRole, IndexRole };

    explicit DiffTableModel(QObject *parent = nullptr);

    void setReport(const DiffReport *report);
    static QString statusText(TensorDiff::Status status);
    static QColor statusColor(TensorDiff::Status status);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    const DiffReport *m_report = nullptr;
};

} // namespace ckpt
