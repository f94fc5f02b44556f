#pragma once

#include <QTreeWidget>

namespace ckpt {

struct Plan;
struct RulePreview;
struct RuleSet;

/// What the surgery rules make (taken, stacked, split, merged tensors): name, shape, dtype and
/// where each comes from; while a surgery rule is being edited, what it would make, in the
/// highlight colour. Hidden when there is nothing to list.
class MadeTensorsView final : public QTreeWidget
{
    Q_OBJECT
public:
    explicit MadeTensorsView(QWidget *parent = nullptr);
    void showPlan(const Plan &plan, const RuleSet &rules, const RulePreview *preview);
};

} // namespace ckpt
