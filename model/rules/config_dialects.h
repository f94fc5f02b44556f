#pragma once

#include "model/rules/rule_engine.h"

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

/// KempnerForge's TOML: `freeze = [{module = "...", frozen = true}, ...]` (fnmatch patterns
/// over parameter names, in its canonical sorted order) covering exactly the frozen tensors:
/// whole modules as "m.*", the rest by name.
std::string emitKempnerForgeToml(const std::vector<PlanInput> &inputs, const Plan &plan);

/// linnaeus' YAML: `pretrained_ckpt_handling_metadata` (drop_params / drop_buffers as name
/// prefixes covering exactly the dropped tensors, supports_module_prefix when a rule strips
/// "module.", strict when nothing is dropped) and a TYPE/FILTERS block per group and for the
/// frozen set, with "startswith" name patterns.
std::string emitLinnaeusYaml(const std::vector<PlanInput> &inputs, const RuleSet &rules, const Plan &plan);

/// The smallest set of modules whose every kept tensor has the property, plus the tensors
/// that have it outside such modules (the exact cover the dialects above write).
struct NameCover
{
    std::vector<std::string> modules;
    std::vector<std::string> names;
};
NameCover coverNames(const std::vector<std::string> &all, const std::vector<bool> &selected);

} // namespace ckpt
