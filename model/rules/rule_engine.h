#pragma once

#include "model/checkpoint/checkpoint.h"
#include "model/base/result.h"
#include "model/rules/rule_set.h"
#include "model/rules/tensor_recipe.h"

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ckpt {

/// One tensor of the weights dict, as the rules see it.
struct PlanInput
{
    Path path;          ///< from the checkpoint's root
    std::string name;   ///< the key in the weights dict
    DType dtype = DType::Unknown;
    std::vector<int64_t> shape;
    int64_t numel = 0;
    uint64_t bytes = 0;
    size_t entry = 0;   ///< index into Checkpoint::entries()
    bool frozen = false; ///< frozen before the rules run (what earlier surgery stages decided)
};

struct PlanStorage;

/// What the rules make of one tensor. Its name and groups view the Plan's storage: keep the
/// Plan (or a copy of it) while using them.
struct TensorPlan
{
    std::string_view name;              ///< final name (empty when dropped)
    bool dropped = false;
    bool frozen = false;
    std::span<const std::string> groups; ///< in the order the rules added them
    DType dtype = DType::Unknown;
    bool renamed = false;
    int resizedBy = -1; ///< the resize rule that sets its shape (-1: the shape it has)
    int consumedBy = -1; ///< the surgery rule that made it part of another tensor (then dropped)
};

/// A tensor the plan makes: an add rule's (not seen by other rules), or a surgery rule's
/// (taken, stacked, split, merged...; later rules see it like any other).
struct AddedTensor
{
    std::string name;
    int rule = -1;      ///< index into RuleSet::rules: the add rule (fill) or surgery rule that made it
    int recipe = -1;    ///< surgery: the step of Plan::recipes that gives its bytes; -1: an add rule's fill
    DType dtype = DType::Unknown;
    std::vector<int64_t> shape;
    bool frozen = false;
    std::vector<std::string> groups;
};

struct RuleOutcome
{
    size_t tensors = 0;
    int64_t parameters = 0;
    uint64_t bytes = 0;
};

struct Diagnostic
{
    enum class Severity { Error, Warning };
    Severity severity = Severity::Error;
    int rule = -1;      ///< index into RuleSet::rules; -1 for the whole plan
    std::string message;
};

struct Plan
{
    std::vector<TensorPlan> tensors;     ///< parallel to the inputs
    std::vector<RuleOutcome> rules;      ///< parallel to RuleSet::rules
    std::vector<Diagnostic> diagnostics;
    std::vector<AddedTensor> added;      ///< in rule order
    std::shared_ptr<const PlanStorage> storage; ///< the tensors' names and groups
    std::shared_ptr<const RecipeBook> recipes;  ///< how surgery's tensors are made (null: no surgery)
    bool hasErrors() const;
};

/// The shape tensor i has once the plan ran.
const std::vector<int64_t> &plannedShape(const std::vector<PlanInput> &inputs, const Plan &plan,
                                         const RuleSet &rules, size_t i);

/// Rules compiled once (regular expressions, aliases), evaluated many times: the live
/// preview runs this on every keystroke.
class RuleSources;

class CompiledRules final
{
public:
    /// Errors name the rule and field ("rules[2].regex: missing )").
    static Result<std::shared_ptr<const CompiledRules>> compile(const RuleSet &rules);

    /// The plan for these tensors. `step` (optional) also applies the schedule's stages that
    /// start at or before it.
    Plan evaluate(const std::vector<PlanInput> &inputs, std::optional<int64_t> step = {}) const;
    /// Which tensors rule `rule` selects once the rules before it ran (the live preview of a
    /// rule being edited): the tensors its count in the plan counts.
    std::vector<bool> selectedBy(size_t rule, const std::vector<PlanInput> &inputs) const;
    const RuleSet &rules() const;
    /// The checkpoints the config's "sources" name, opened when the rules were compiled.
    const RuleSources &sources() const;

    ~CompiledRules();

private:
    struct Impl;
    explicit CompiledRules(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

/// The name a module of the checkpoint has once the plan's renames ran (what a rule added at
/// the end must say): judged from the tensors under it, which must all agree; nullopt when
/// the renames split the module or dropped all of it.
std::optional<std::string> plannedModuleName(const std::vector<PlanInput> &inputs, const Plan &plan,
                                             const std::string &module);

/// Where the weights dict is: `weights`, or the best candidate when absent; nullopt when there is none.
std::optional<Path> weightsBase(const Checkpoint &checkpoint, const std::optional<Path> &weights);

/// The tensors of the weights dict at `weights` (or the best candidate when absent): its
/// tensor values by key, or for a pytree (Checkpoint::pytreeWeights) every tensor below it
/// by its path joined with '.'.
Result<std::vector<PlanInput>> planInputs(const Checkpoint &checkpoint,
                                          const std::optional<Path> &weights);

} // namespace ckpt
