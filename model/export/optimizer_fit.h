#pragma once

#include "model/checkpoint/checkpoint.h"
#include "model/pickle/pickle_value.h"
#include "model/rules/rule_engine.h"
#include "model/rules/rule_set.h"

#include <optional>
#include <string>
#include <vector>

namespace ckpt {

/// A parameter as an optimizer numbers it: its name and shape, in named_parameters() order.
struct OptimizerParameter
{
    std::string name;
    std::vector<int64_t> shape;
};

/// The parameters among a weights dict's tensors: floating point, not a norm's running
/// statistics (buffers are not handed to optimizers). A heuristic: see fitOptimizerState.
std::vector<OptimizerParameter> optimizerParameters(const std::vector<PlanInput> &inputs);

/// Why an optimizer state dict ({'state': {i: {...}}, 'param_groups': [{'params': [i, ...]}]})
/// does not fit `params` (as many indices as parameters, every state tensor shaped like its
/// parameter, `groupSizes` indices per group when given), or nullopt when it fits.
std::optional<std::string> optimizerMisfit(const Value *optimizer, const std::vector<OptimizerParameter> &params,
                                           const std::vector<TensorInfo> &tensors,
                                           const std::vector<size_t> *groupSizes = nullptr);

/// An optimizer state dict made to fit the weights a plan exports.
struct OptimizerFit
{
    enum class Outcome {
        Unchanged, ///< the plan touches no parameter: kept as it is
        Remapped,  ///< only drops: their entries removed, the rest renumbered (nothing lost)
        Refitted,  ///< resized parameters' entries cleared, added ones listed without state
        Uncertain, ///< the plan touches parameters and the indices cannot be matched for certain
    };
    Outcome outcome = Outcome::Unchanged;
    const Value *state = nullptr;   ///< the new dict (Remapped, Refitted), in the arena
    size_t reset = 0;               ///< entries of resized parameters cleared
    std::vector<size_t> groupSizes; ///< indices per param group after the fit
    std::vector<std::string> resized; ///< "name [old] -> [new]" of the cleared entries
    /// Parameters listed with no state, at the end (the optimizer starts them fresh).
    std::vector<std::string> addedNames;
    std::string why;                ///< Uncertain: what stands in the way
};

/// Indices number the model's parameters (optimizerParameters) in the order the groups list
/// them; that mapping is only a heuristic, so it is used when it is certain: the state fits
/// the source's parameters (optimizerMisfit). Added parameters join the last group.
OptimizerFit fitOptimizerState(ValueArena &arena, const Value *optimizer, const std::vector<PlanInput> &inputs,
                               const Plan &plan, const RuleSet &rules, const std::vector<TensorInfo> &tensors);

} // namespace ckpt
