#include "compare_table_model.h"

#include "display_name.h"
#include "model/checkpoint/checkpoint_summary.h"

#include <algorithm>

namespace ckpt {

CompareTableModel::CompareTableModel(QObject *parent) : QAbstractTableModel(parent) {}

void CompareTableModel::setReport(const CompareReport &report, std::vector<std::string> names)
{
    beginResetModel();
    m_report = report;
    m_names = std::move(names);
    refilter();
    endResetModel();
}

void CompareTableModel::setStatusFilter(std::vector<CompareEntry::Status> statuses)
{
    beginResetModel();
    m_filter = std::move(statuses);
    refilter();
    endResetModel();
}

void CompareTableModel::refilter()
{
    m_rows.clear();
    for (size_t i = 0; i < m_report.entries.size(); ++i)
        if (m_filter.empty() ||
            std::find(m_filter.begin(), m_filter.end(), m_report.entries[i].status) != m_filter.end())
            m_rows.push_back(int(i));
}

const CompareEntry *CompareTableModel::entryAt(int row) const
{
    return row >= 0 && size_t(row) < m_rows.size() ? &m_report.entries[size_t(m_rows[size_t(row)])] : nullptr;
}

QString CompareTableModel::statusText(CompareEntry::Status s)
{
    switch (s) {
    case CompareEntry::Status::Match: return tr("match");
    case CompareEntry::Status::ShapeMismatch: return tr("shape mismatch");
    case CompareEntry::Status::DtypeDiffers: return tr("dtype differs");
    case CompareEntry::Status::Missing: return tr("missing");
    case CompareEntry::Status::Unexpected: return tr("unexpected");
    }
    return {};
}

QColor CompareTableModel::statusColor(CompareEntry::Status s)
{
    switch (s) {
    case CompareEntry::Status::Match: return QColor("#1e8e3e");
    case CompareEntry::Status::ShapeMismatch: return QColor("#c5221f");
    case CompareEntry::Status::DtypeDiffers: return QColor("#b06000");
    case CompareEntry::Status::Missing: return QColor("#a142f4");
    case CompareEntry::Status::Unexpected: return QColor("#1a73e8");
    }
    return {};
}

int CompareTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int CompareTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant CompareTableModel::data(const QModelIndex &index, int role) const
{
    const CompareEntry *e = entryAt(index.row());
    if (!e) return {};
    const bool hasCheckpoint = e->status != CompareEntry::Status::Missing;
    const bool hasTarget = e->status != CompareEntry::Status::Unexpected;
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case StatusColumn: return statusText(e->status);
        case NameColumn:
            if (e->input >= 0 && size_t(e->input) < m_names.size()) return displayName(m_names[size_t(e->input)]);
            return e->added >= 0 ? tr("(added: %1)").arg(displayName(e->name)) : QString();
        case TargetNameColumn: return hasTarget ? displayName(e->name) : QString();
        case CheckpointColumn:
            return hasCheckpoint ? QString::fromStdString(std::string(dtypeName(e->checkpointDtype)) + " " + shapeText(e->checkpointShape))
                                 : QString();
        case TargetColumn:
            return hasTarget ? QString::fromStdString(std::string(dtypeName(e->targetDtype)) + " " + shapeText(e->targetShape))
                             : QString();
        }
    }
    if (role == Qt::ForegroundRole && (index.column() == StatusColumn || e->status != CompareEntry::Status::Match))
        return statusColor(e->status);
    if (role == Qt::ToolTipRole && index.column() == NameColumn && e->input >= 0)
        return tr("after the rules: %1").arg(displayName(e->name));
    return {};
}

QVariant CompareTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case StatusColumn: return tr("Status");
    case NameColumn: return tr("Checkpoint name");
    case TargetNameColumn: return tr("Target name");
    case CheckpointColumn: return tr("Checkpoint");
    case TargetColumn: return tr("Target");
    }
    return {};
}

} // namespace ckpt
