#pragma once

#include "model/rules/surgery_uses.h"

#include <QAbstractItemModel>

#include <cstdint>
#include <memory>
#include <vector>

namespace ckpt {

class Checkpoint;
class CheckpointTree;
class DiffDocument;
class RulesDocument;

/// The checkpoint tree as a Qt item model. Rows are created on demand by the view from the
/// prebuilt CheckpointTree (a flat array of nodes), so 100k tensors cost nothing until shown.
class CheckpointTreeModel final : public QAbstractItemModel
{
    Q_OBJECT
public:
    explicit CheckpointTreeModel(QObject *parent = nullptr);
    ~CheckpointTreeModel() override;

    void setTree(std::shared_ptr<const Checkpoint> checkpoint,
                 std::shared_ptr<const CheckpointTree> tree);
    const CheckpointTree *tree() const { return m_tree.get(); }
    const Checkpoint *checkpoint() const { return m_checkpoint.get(); }
    QModelIndex indexOfNode(int node, int column = 0) const;
    /// Shows each weight's planned state (Plan column, struck-out drops) and highlights what
    /// the rule being edited matches.
    void setRules(const RulesDocument *rules) { m_rules = rules; }
    /// Shows each weight's status against a second checkpoint (Diff column, coloured).
    void setDiff(const DiffDocument *diff) { m_diff = diff; }
    /// Recounts what the plan does under each module row (all frozen, partly, dropped); call
    /// when the plan changed.
    void refreshPlanSummary();

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    int nodeOf(const QModelIndex &index) const;
    QString sharedTooltip(int entry) const;

    std::shared_ptr<const Checkpoint> m_checkpoint;
    std::shared_ptr<const CheckpointTree> m_tree;
    const RulesDocument *m_rules = nullptr;
    const DiffDocument *m_diff = nullptr;
    /// Per node: the weights below it, and how many of them the plan freezes or drops.
    struct NodePlan
    {
        uint32_t weights = 0, frozen = 0, dropped = 0;
        uint32_t used = 0; ///< of the dropped: made part of other tensors by surgery
    };
    std::vector<NodePlan> m_nodePlan;
    std::vector<SurgeryUse> m_uses; ///< per plan input
    QString usedText(int input) const;
    QString modulePlanText(int node) const;
};

} // namespace ckpt
