#pragma once

#include "rule_engine.h"

#include <string>

namespace ckpt {

/// A self-contained Python module with `apply_rules(model, **base_options)`: it sets
/// requires_grad exactly as the plan says (raising if a frozen name is not in the model,
/// the silent-freeze bug) and returns torch.optim parameter groups with their options.
std::string emitPythonFunction(const std::vector<PlanInput> &inputs, const RuleSet &rules,
                               const Plan &plan, const std::string &configName);

/// anemoi-training's Hydra block: training.model_modifier.modifiers with a
/// FreezingModelModifier whose submodules_to_freeze is the smallest set of modules that are
/// frozen whole; tensors frozen on their own are listed in a comment (it freezes modules).
std::string emitAnemoiYaml(const std::vector<PlanInput> &inputs, const Plan &plan);

} // namespace ckpt
