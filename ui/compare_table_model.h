#pragma once

#include "model/compare/architecture_compare.h"

#include <QAbstractTableModel>
#include <QColor>

#include <optional>

namespace ckpt {

/// The comparison as a table: status, the checkpoint's name (as in the file), the target's
/// name it meets after the rules, both sides' dtype and shape. Rows can be limited to one status.
class CompareTableModel final : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { StatusColumn, NameColumn, TargetNameColumn, CheckpointColumn, TargetColumn, ColumnCount };

    explicit CompareTableModel(QObject *parent = nullptr);

    /// `names`: the checkpoint's own names (before the rules), parallel to the plan inputs.
    void setReport(const CompareReport &report, std::vector<std::string> names);
    /// Only rows of these statuses; none given: every row.
    void setStatusFilter(std::vector<CompareEntry::Status> statuses);
    const CompareEntry *entryAt(int row) const;

    static QString statusText(CompareEntry::Status status);
    static QColor statusColor(CompareEntry::Status status);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    void refilter();

    CompareReport m_report;
    std::vector<std::string> m_names;
    std::vector<CompareEntry::Status> m_filter;
    std::vector<int> m_rows; ///< indices into m_report.entries
};

} // namespace ckpt
