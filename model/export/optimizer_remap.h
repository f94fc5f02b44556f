#pragma once

#include "model/pickle/pickle_value.h"
#include "model/rules/rule_engine.h"

#include <unordered_map>

namespace ckpt {

/// An optimizer state dict ({'state': {i: {...}}, 'param_groups': [{'params': [i, ...]}]})
/// rewritten for dropped weights: entries of dropped parameters removed, the rest renumbered.
/// Indices number the model's parameters (buffers excluded) in order; that mapping is only a
/// heuristic, so it is used when it is certain: as many parameters as indices, and every
/// tensor in the state shaped like its parameter. Returns the new dict (in `arena`), or null
/// when the mapping is not certain or `optimizer` is not an optimizer state dict.
const Value *remapOptimizerState(ValueArena &arena, const Value *optimizer, const std::vector<PlanInput> &inputs,
                                 const Plan &plan, const std::vector<TensorInfo> &tensors);

} // namespace ckpt
