#include "checkpoint_tree_model.h"

#include "diff_document.h"
#include "diff_table_model.h"
#include "display_name.h"
#include "roles.h"
#include "rules_document.h"

#include "model/checkpoint/checkpoint.h"
#include "model/checkpoint/checkpoint_summary.h"
#include "model/checkpoint/checkpoint_tree.h"
#include "model/formats/tree_walker.h"
#include "model/pickle/value_format.h"

#include <QColor>
#include <QFont>
#include <QGuiApplication>
#include <QPalette>

namespace ckpt {

CheckpointTreeModel::CheckpointTreeModel(QObject *parent) : QAbstractItemModel(parent) {}
CheckpointTreeModel::~CheckpointTreeModel() = default;

void CheckpointTreeModel::setTree(std::shared_ptr<const Checkpoint> checkpoint,
                                  std::shared_ptr<const CheckpointTree> tree)
{
    beginResetModel();
    m_checkpoint = std::move(checkpoint);
    m_tree = std::move(tree);
    refreshPlanSummary();
    endResetModel();
}

void CheckpointTreeModel::refreshPlanSummary()
{
    m_nodePlan.clear();
    m_uses.clear();
    if (!m_tree || !m_rules || m_rules->checkpoint() != m_checkpoint) return;
    const Plan &plan = m_rules->plan();
    m_uses = surgeryUses(m_rules->inputs(), plan);
    m_nodePlan.assign(m_tree->size(), {});
    // Children come after their parents: one pass from the end adds each node into its parent.
    for (size_t i = m_tree->size(); i-- > 1;) {
        const TreeNode &n = m_tree->node(int(i));
        NodePlan &here = m_nodePlan[i];
        if (n.entry >= 0) {
            const int input = m_rules->inputOfEntry(size_t(n.entry));
            if (input >= 0 && size_t(input) < plan.tensors.size()) {
                here.weights += 1;
                here.frozen += plan.tensors[size_t(input)].frozen && !plan.tensors[size_t(input)].dropped;
                here.dropped += plan.tensors[size_t(input)].dropped;
                here.used += plan.tensors[size_t(input)].consumedBy >= 0;
            }
        }
        if (n.parent > 0) {
            NodePlan &up = m_nodePlan[size_t(n.parent)];
            up.weights += here.weights;
            up.frozen += here.frozen;
            up.dropped += here.dropped;
            up.used += here.used;
        }
    }
}

QString CheckpointTreeModel::usedText(int input) const
{
    const Plan &plan = m_rules->plan();
    const TensorPlan &t = plan.tensors[size_t(input)];
    const QString action = QString::fromUtf8(actionName(m_rules->rules().rules[size_t(t.consumedBy)].action).data());
    const SurgeryUse use = size_t(input) < m_uses.size() ? m_uses[size_t(input)] : SurgeryUse{};
    if (use.first < 0) return tr("used by rule %1 (%2)").arg(t.consumedBy).arg(action);
    const QString into = displayName(plan.added[size_t(use.first)].name);
    return use.count > 1 ? tr("→ %1 and %2 more (%3)").arg(into).arg(use.count - 1).arg(action)
                         : tr("→ %1 (%2)").arg(into, action);
}

QString CheckpointTreeModel::modulePlanText(int node) const
{
    if (size_t(node) >= m_nodePlan.size()) return {};
    const NodePlan &p = m_nodePlan[size_t(node)];
    if (p.weights == 0 || (p.frozen == 0 && p.dropped == 0)) return {};
    const uint32_t dropped = p.dropped - p.used;
    if (p.used == p.weights) return tr("all used by surgery");
    if (dropped == p.weights) return tr("all dropped");
    QStringList parts;
    const uint32_t kept = p.weights - p.dropped;
    if (kept && p.frozen == kept) parts << tr("all frozen");
    else if (p.frozen) parts << tr("frozen %1/%2").arg(p.frozen).arg(kept); // partly
    if (dropped) parts << tr("%1 dropped").arg(dropped);
    if (p.used) parts << tr("%1 used by surgery").arg(p.used);
    return parts.join(QStringLiteral(", "));
}

int CheckpointTreeModel::nodeOf(const QModelIndex &index) const
{
    return index.isValid() ? int(index.internalId()) : CheckpointTree::root();
}

QModelIndex CheckpointTreeModel::indexOfNode(int node, int column) const
{
    if (!m_tree || node <= 0 || size_t(node) >= m_tree->size()) return {};
    return createIndex(m_tree->node(node).row, column, quintptr(node));
}

QModelIndex CheckpointTreeModel::index(int row, int column, const QModelIndex &parent) const
{
    if (!m_tree || !hasIndex(row, column, parent)) return {};
    const TreeNode &p = m_tree->node(nodeOf(parent));
    return createIndex(row, column, quintptr(p.children[size_t(row)]));
}

QModelIndex CheckpointTreeModel::parent(const QModelIndex &child) const
{
    if (!m_tree || !child.isValid()) return {};
    const int parent = m_tree->node(int(child.internalId())).parent;
    if (parent <= 0) return {};
    return createIndex(m_tree->node(parent).row, 0, quintptr(parent));
}

int CheckpointTreeModel::rowCount(const QModelIndex &parent) const
{
    if (!m_tree || (parent.isValid() && parent.column() != 0)) return 0;
    return int(m_tree->node(nodeOf(parent)).children.size());
}

int CheckpointTreeModel::columnCount(const QModelIndex &) const { return ColumnCount; }

QString CheckpointTreeModel::sharedTooltip(int entry) const
{
    const auto partners = m_checkpoint->storagePartners(size_t(entry));
    QStringList names;
    for (size_t i = 0; i < partners.size() && i < 8; ++i)
        names << QString::fromStdString(pathToString(m_checkpoint->entries()[partners[i]].path));
    if (partners.size() > 8) names << tr("and %1 more").arg(partners.size() - 8);
    return tr("Shares its storage with:\n%1").arg(names.join('\n'));
}

QVariant CheckpointTreeModel::data(const QModelIndex &index, int role) const
{
    if (!m_tree || !index.isValid()) return {};
    const int id = int(index.internalId());
    const TreeNode &n = m_tree->node(id);
    const TensorInfo *t = n.entry >= 0
                              ? &m_checkpoint->tensors()[size_t(m_checkpoint->entries()[size_t(n.entry)].tensor)]
                              : nullptr;
    const bool aggregate = n.kind == NodeKind::Module || n.kind == NodeKind::Container;
    const int input = t && m_rules ? m_rules->inputOfEntry(size_t(n.entry)) : -1;
    const TensorPlan *planned = input >= 0 && size_t(input) < m_rules->plan().tensors.size()
                                    ? &m_rules->plan().tensors[size_t(input)]
                                    : nullptr;
    if (planned) {
        const bool highlighted = m_rules->preview() && m_rules->preview()->selected[size_t(input)];
        if (role == Qt::BackgroundRole && highlighted) return QColor(255, 236, 153);
        if (role == Qt::ForegroundRole && highlighted && !planned->dropped) return QColor(32, 33, 36); // on yellow, any theme
        if (planned->consumedBy >= 0) { // not lost: part of what surgery made
            if (role == Qt::ForegroundRole && !highlighted) return QColor(0, 121, 107);
            if (role == Qt::ToolTipRole && index.column() == PlanColumn) return usedText(input);
        }
        if (role == Qt::FontRole && planned->dropped && planned->consumedBy < 0) {
            QFont f;
            f.setStrikeOut(true);
            return f;
        }
        if (role == Qt::ForegroundRole && planned->dropped && planned->consumedBy < 0) return QColor(150, 150, 150);
        if (role == Qt::ForegroundRole && index.column() == PlanColumn && planned->frozen) return QColor(26, 115, 232);
    }
    if (aggregate && role == Qt::ForegroundRole && index.column() == PlanColumn && size_t(id) < m_nodePlan.size() &&
        m_nodePlan[size_t(id)].frozen)
        return QColor(26, 115, 232);
    const TensorDiff *diffed = t && m_diff ? m_diff->diffOfEntry(n.entry) : nullptr;
    if (diffed && index.column() == DiffColumn) {
        if (role == Qt::ForegroundRole) return DiffTableModel::statusColor(diffed->status);
        if (role == SortRole) return diffed->hasMetrics ? diffed->relL2 : -1.0;
        if (role == Qt::ToolTipRole && diffed->hasMetrics)
            return tr("max |a−b| %1, mean |a−b| %2, cosine %3")
                .arg(diffed->maxAbs, 0, 'g', 4)
                .arg(diffed->meanAbs, 0, 'g', 4)
                .arg(diffed->cosine, 0, 'g', 7);
        if (role == Qt::DisplayRole)
            return diffed->hasMetrics && diffed->status == TensorDiff::Status::Changed
                       ? tr("changed  %1").arg(diffed->relL2, 0, 'g', 3)
                       : DiffTableModel::statusText(diffed->status);
    }
    switch (role) {
    case NodeIdRole: return id;
    case EntryRole: return n.entry;
    case FullNameRole: return QString::fromStdString(n.fullName);
    case KindRole: return int(n.kind);
    case ShapeTextRole: return t ? QString::fromStdString(shapeText(t->shape)) : QString();
    case SortRole:
        if (index.column() == ParamsColumn) return qlonglong(n.parameters);
        if (index.column() == SizeColumn) return qulonglong(n.bytes);
        return QString::fromStdString(n.name);
    case Qt::ToolTipRole:
        if (aggregate && index.column() == PlanColumn && size_t(id) < m_nodePlan.size() && m_nodePlan[size_t(id)].weights)
            return tr("%1 weights below: %2 frozen, %3 dropped")
                .arg(m_nodePlan[size_t(id)].weights)
                .arg(m_nodePlan[size_t(id)].frozen)
                .arg(m_nodePlan[size_t(id)].dropped);
        if (t && index.column() == SharedColumn && m_checkpoint->sharesStorage(size_t(n.entry)))
            return sharedTooltip(n.entry);
        if (index.column() == ShapeColumn && n.value && !t)
            return QString::fromStdString(formatValue(n.value, &m_checkpoint->tensors(), 2000));
        if (index.column() == NameColumn || index.column() == ShapeColumn) return displayName(n.fullName);
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == ParamsColumn || index.column() == SizeColumn)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::FontRole:
        if (n.kind == NodeKind::Module || n.kind == NodeKind::Container) {
            QFont f;
            f.setBold(index.column() == NameColumn && n.kind == NodeKind::Module);
            return f;
        }
        return {};
    case Qt::ForegroundRole:
        if (n.kind == NodeKind::Value || n.kind == NodeKind::More)
            return QGuiApplication::palette().color(QPalette::Disabled, QPalette::Text);
        return {};
    case Qt::DisplayRole: break;
    default: return {};
    }
    switch (index.column()) {
    case NameColumn: return displayName(n.name);
    case ShapeColumn:
        if (t) return QString::fromStdString(shapeText(t->shape));
        if (n.kind == NodeKind::Value) return QString::fromStdString(formatValue(n.value, &m_checkpoint->tensors(), 160));
        if (n.kind == NodeKind::Container && n.value) {
            const QString type = QString::fromStdString(typeName(n.value));
            const size_t items = n.value->kind == ValueKind::Dict ? n.value->dictSize() : n.children.size();
            if (n.value->kind != ValueKind::Object)
                return items == 1 ? tr("%1, 1 item").arg(type) : tr("%1, %2 items").arg(type).arg(items);
            const std::string composite = compositeTensorText(n.value); // a sparse or nested tensor's parts
            return QString::fromStdString(composite.empty() ? formatValue(n.value, &m_checkpoint->tensors(), 160) : composite);
        }
        return {};
    case DtypeColumn: return t ? QString::fromStdString(dtypeText(*t)) : QVariant();
    case ParamsColumn:
        return t || (aggregate && n.tensors) ? QString::fromStdString(humanCount(n.parameters)) : QVariant();
    case SizeColumn:
        return t || (aggregate && n.tensors) ? QString::fromStdString(humanBytes(n.bytes)) : QVariant();
    case SharedColumn:
        return t && m_checkpoint->sharesStorage(size_t(n.entry)) ? QStringLiteral("⛓") : QVariant();
    case PlanColumn: {
        if (aggregate) return modulePlanText(id);
        if (!planned) return {};
        if (planned->consumedBy >= 0) return usedText(input);
        if (planned->dropped) return tr("dropped");
        QStringList parts;
        if (planned->frozen) parts << tr("frozen");
        for (const auto &g : planned->groups) parts << QStringLiteral("[%1]").arg(QString::fromStdString(g));
        if (planned->dtype != t->dtype) parts << QString::fromUtf8(dtypeName(planned->dtype).data());
        if (planned->renamed) parts << QStringLiteral("→ %1").arg(displayName(planned->name));
        return parts.join(QStringLiteral("  "));
    }
    default: return {};
    }
}

QVariant CheckpointTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case NameColumn: return tr("Name");
    case ShapeColumn: return tr("Shape / value");
    case DtypeColumn: return tr("Dtype");
    case ParamsColumn: return tr("Parameters");
    case SizeColumn: return tr("Size");
    case SharedColumn: return tr("Tied");
    case PlanColumn: return tr("Plan");
    case DiffColumn: return tr("Diff (rel. change)");
    default: return {};
    }
}

} // namespace ckpt
