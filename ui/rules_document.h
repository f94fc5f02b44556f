#pragma once

#include "model/rules/rule_engine.h"
#include "model/rules/rule_preview.h"
#include "model/rules/rule_set.h"

#include <QObject>
#include <QString>

#include <memory>
#include <optional>

class QUndoStack;

namespace ckpt {

class Checkpoint;

/// The rules being built for the open checkpoint, their plan, and the live preview of a rule
/// being edited. Every change goes through the undo stack; the plan is re-evaluated after
/// each one (a pure function of the tensor table and the rules).
class RulesDocument final : public QObject
{
    Q_OBJECT
public:
    explicit RulesDocument(QObject *parent = nullptr);
    ~RulesDocument() override;

    /// Keeps the rules; recomputes the inputs (the weights dict's tensors) and the plan.
    /// `defaultInputs` (the loader's, for the best weights candidate) are taken as they are
    /// when the rules name no weights of their own, `defaultProblem` when there are none.
    void setCheckpoint(std::shared_ptr<const Checkpoint> checkpoint,
                       std::shared_ptr<const std::vector<PlanInput>> defaultInputs = {},
                       const QString &defaultProblem = {});

    const RuleSet &rules() const { return m_rules; }
    const std::shared_ptr<const Checkpoint> &checkpoint() const { return m_checkpoint; }
    const Plan &plan() const { return m_plan; }
    const std::vector<PlanInput> &inputs() const { return *m_inputs; }
    /// Index into inputs() of a checkpoint entry, -1 when it is not a weight.
    int inputOfEntry(size_t entry) const;
    /// Why there is no plan ("weights: no tensors at ..."), or empty.
    QString problem() const { return m_problem; }
    /// The weights dict's path as tree text ("state_dict"), "" for the root.
    QString weightsPrefix() const;
    QUndoStack *undoStack() const { return m_undo; }
    /// Whether the rules differ from the ones last saved (or loaded); none at the start.
    bool hasUnsavedRules() const;
    /// The rules as they are now were saved (or loaded) somewhere.
    void markSaved();

    // Undoable edits.
    void addRule(const Rule &rule, int at = -1);
    void removeRule(int index);
    void replaceRule(int index, const Rule &rule);
    void moveRule(int from, int to);
    void setRuleEnabled(int index, bool enabled);
    void replaceAll(const RuleSet &rules, const QString &what);

    // What the undo commands call.
    void doInsert(int index, const Rule &rule);
    void doRemove(int index);
    void doReplace(int index, const Rule &rule);
    void doMove(int from, int to);
    void doReplaceAll(const RuleSet &rules);

    /// The rule being edited, shown in the tree before it is applied; nullopt to clear.
    void setPreview(int position, const std::optional<Rule> &candidate);
    const std::optional<RulePreview> &preview() const { return m_preview; }
    QString previewError() const { return m_previewError; }

Q_SIGNALS:
    void rulesChanged();
    void planChanged();
    void previewChanged();

private:
    void evaluate();

    std::shared_ptr<const Checkpoint> m_checkpoint;
    RuleSet m_rules;
    std::shared_ptr<const std::vector<PlanInput>> m_inputs; ///< never null
    std::vector<int> m_inputOfEntry;
    Plan m_plan;
    QString m_problem;
    std::optional<RulePreview> m_preview;
    /// What the edited rule sees, kept while the rules and weights stay as they are: a
    /// keystroke then runs only the rule being typed.
    std::unique_ptr<PreviewBase> m_previewBase;
    QString m_previewError;
    std::string m_saved; ///< the rules last saved, canonical JSON
    QUndoStack *m_undo;
};

} // namespace ckpt
