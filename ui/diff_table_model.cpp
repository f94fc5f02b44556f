#include "diff_table_model.h"

#include "display_name.h"
#include "model/checkpoint/checkpoint_summary.h"

#include <cmath>

namespace ckpt {

DiffTableModel::DiffTableModel(QObject *parent) : QAbstractTableModel(parent) {}

void DiffTableModel::setReport(const DiffReport *report)
{
    beginResetModel();
    m_report = report;
    endResetModel();
}

QString DiffTableModel::statusText(TensorDiff::Status s)
{
    switch (s) {
    case TensorDiff::Status::Identical: return tr("identical");
    case TensorDiff::Status::Changed: return tr("changed");
    case TensorDiff::Status::Added: return tr("added");
    case TensorDiff::Status::Removed: return tr("removed");
    case TensorDiff::Status::ShapeChanged: return tr("shape changed");
    case TensorDiff::Status::DtypeChanged: return tr("dtype changed");
    }
    return {};
}

QColor DiffTableModel::statusColor(TensorDiff::Status s)
{
    switch (s) {
    case TensorDiff::Status::Identical: return QColor("#5f6368");
    case TensorDiff::Status::Changed: return QColor("#1a73e8");
    case TensorDiff::Status::Added: return QColor("#1e8e3e");
    case TensorDiff::Status::Removed: return QColor("#c5221f");
    case TensorDiff::Status::ShapeChanged: return QColor("#a142f4");
    case TensorDiff::Status::DtypeChanged: return QColor("#b06000");
    }
    return {};
}



int DiffTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() || !m_report ? 0 : int(m_report->tensors.size());
}

int DiffTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

namespace {

QString number(double v, int digits = 4)
{
    if (std::isinf(v)) return QStringLiteral("∞");
    if (std::isnan(v)) return QStringLiteral("nan");
    return QString::number(v, 'g', digits);
}

QString side(DType dtype, const std::vector<int64_t> &shape)
{
    return QString::fromStdString(std::string(dtypeName(dtype)) + " " + shapeText(shape));
}

} // namespace

QVariant DiffTableModel::data(const QModelIndex &index, int role) const
{
    if (!m_report || index.row() < 0 || index.row() >= rowCount()) return {};
    const TensorDiff &d = m_report->tensors[size_t(index.row())];
    const bool metrics = d.hasMetrics;
    if (role == StatusRole) return statusText(d.status);
    if (role == IndexRole) return index.row();
    if (role == SortRole) {
        switch (index.column()) {
        case RelColumn: return metrics ? (std::isfinite(d.relL2) ? d.relL2 : 1e300) : -1.0;
        case MaxAbsColumn: return metrics ? d.maxAbs : -1.0;
        case MeanAbsColumn: return metrics ? d.meanAbs : -1.0;
        case CosineColumn: return metrics ? d.cosine : 2.0;
        case ChangedColumn: return qlonglong(d.changedElements);
        case StatusColumn: return int(d.status);
        case NameColumn: return index.row(); // model order
        default: return data(index, Qt::DisplayRole);
        }
    }
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case NameColumn: return displayName(d.name);
        case StatusColumn: return statusText(d.status);
        case RelColumn: return metrics ? number(d.relL2) : QVariant();
        case MaxAbsColumn: return metrics ? number(d.maxAbs) : QVariant();
        case MeanAbsColumn: return metrics ? number(d.meanAbs) : QVariant();
        case CosineColumn: return metrics ? number(d.cosine, 6) : QVariant();
        case ChangedColumn:
            return metrics ? QString::fromStdString(humanCount(d.changedElements)) : QVariant();
        case AColumn: return d.a >= 0 ? side(d.dtypeA, d.shapeA) : QVariant();
        case BColumn: return d.b >= 0 ? side(d.dtypeB, d.shapeB) : QVariant();
        }
    }
    if (role == Qt::ForegroundRole && index.column() != NameColumn) return statusColor(d.status);
    if (role == Qt::ForegroundRole && d.status != TensorDiff::Status::Identical) return statusColor(d.status);
    if (role == Qt::TextAlignmentRole && index.column() >= RelColumn && index.column() <= ChangedColumn)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole && !d.error.empty()) return QString::fromStdString(d.error);
    return {};
}

QVariant DiffTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal) return {};
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case RelColumn: return tr("||a - b|| / ||a||, in float64");
        case CosineColumn: return tr("a·b / (||a|| ||b||)");
        case ChangedColumn: return tr("values that differ");
        }
        return {};
    }
    if (role != Qt::DisplayRole) return {};
    switch (section) {
    case NameColumn: return tr("Name");
    case StatusColumn: return tr("Status");
    case RelColumn: return tr("Rel. change");
    case MaxAbsColumn: return tr("Max |a−b|");
    case MeanAbsColumn: return tr("Mean |a−b|");
    case CosineColumn: return tr("Cosine");
    case ChangedColumn: return tr("Changed");
    case AColumn: return tr("A");
    case BColumn: return tr("B");
    }
    return {};
}

} // namespace ckpt
