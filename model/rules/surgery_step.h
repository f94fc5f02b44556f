#pragma once

// The surgery rules' side of the rule engine (internal to model/rules): the tensors in flight
// between segments of per-tensor rules, and one function per family of surgery actions.

#include "model/rules/compiled_rule.h"
#include "model/rules/rule_engine.h"
#include "model/rules/rule_sources.h"
#include "model/rules/tensor_recipe.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ckpt::surgery {

/// A tensor of the result as the rules so far leave it.
struct FlowTensor
{
    std::string name;
    DType dtype = DType::Unknown;
    std::vector<int64_t> shape;
    int origin = -1;     ///< the edited checkpoint's input it still is (recipe < 0)
    int recipe = -1;     ///< the step that makes it (surgery made it)
    int resizedBy = -1;  ///< origin: its resize rule
    bool frozen = false;
    std::vector<std::string> groups;
    int madeBy = -1;     ///< the surgery rule that made it
};

/// A surgery rule with its patterns compiled.
struct CompiledSurgery
{
    CompiledRule base;                  ///< the matcher
    int index = -1;                     ///< in RuleSet::rules
    std::optional<Regex> regex;         ///< the match's regex (stack, concat, unstack, split) or take's rename regex
    std::optional<Replacement> to, key; ///< read as in rename
    std::vector<Replacement> parts;     ///< split: each part's `to`
};

/// Throws std::runtime_error naming the field ("rules[2].to: invalid group reference 3").
CompiledSurgery compileSurgery(const Rule &r, const RuleSet &set, int index);

/// What one evaluation of a config with surgery works on.
struct SurgeryState
{
    const RuleSet &set;
    const RuleSources &sources;
    const std::vector<PlanInput> &inputs; ///< the edited checkpoint's
    std::vector<FlowTensor> flows;
    RecipeBook book;
    std::vector<int> consumedBy;          ///< per input
    std::vector<RuleOutcome> &outcomes;
    std::vector<Diagnostic> &diagnostics;

    /// The recipe step that gives a flow's bytes (a Read, and an Edit when it was cast or resized).
    int operand(const FlowTensor &f);
    /// An Edit step of step `operand`: resized by rule `resizeRule` (-1: not) into `shape`, cast to `dtype`.
    int edit(int operand, int resizeRule, DType dtype, const std::vector<int64_t> &shape);
    /// A Read step of tensor `in` of checkpoint `source` (0: the edited one).
    int read(int source, const PlanInput &in);
    /// The source rule `k` names, or null after reporting that the config has none.
    const OpenedSource *source(int k, const std::string &name, int *index);
    /// Rule `k` remakes flow `f` in place (same name and position) by `step`: the input it was
    /// is consumed, counted in the rule's outcome, and the flow is now what `step` makes.
    void remake(FlowTensor &f, int k, RecipeStep step);
    /// Marks a flow as used up by rule `k` (an input is then consumed).
    void consume(const FlowTensor &f, int k);
    void error(int k, const std::string &message);
    /// Counts a selected tensor in the rule's outcome.
    void count(int k, const std::vector<int64_t> &shape, DType dtype);
};

/// Which flows the rule's matcher selects (all of them without a matcher).
std::vector<bool> selectFlows(const CompiledSurgery &c, const std::vector<FlowTensor> &flows);
/// `remake` called on each flow the rule selects, in place: for rules that remake each
/// tensor alone (transpose, reshape, permute_heads, shift).
void eachSelected(const CompiledSurgery &c, SurgeryState &s, const std::function<void(FlowTensor &)> &remake);
/// `to` of a rule read as in rename: re.sub with the match's regex, or the text itself.
std::string renamed(const CompiledSurgery &c, const Replacement *to, const std::string &literal, const std::string &name);
int64_t numelOf(const std::vector<int64_t> &shape);
/// A Python-style axis (negative from the end) for a tensor of `ndim` dims; nullopt when out of range.
std::optional<int64_t> normalAxis(int64_t axis, size_t ndim);

void take(const CompiledSurgery &c, SurgeryState &s);
void stackOrConcat(const CompiledSurgery &c, SurgeryState &s);
void unstackOrSplit(const CompiledSurgery &c, SurgeryState &s);
void transposeOrReshape(const CompiledSurgery &c, SurgeryState &s);
void lora(const CompiledSurgery &c, SurgeryState &s);
void merge(const CompiledSurgery &c, SurgeryState &s);
void permuteHeads(const CompiledSurgery &c, SurgeryState &s);
void shift(const CompiledSurgery &c, SurgeryState &s);

} // namespace ckpt::surgery
