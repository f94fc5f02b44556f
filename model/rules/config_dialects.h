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
/// frozen whole (in model order); tensors frozen on their own are listed in a comment (it
/// freezes modules). When the plan drops names, a TransferLearningModelModifier first loads
/// `checkpointPath` with strict false and skip_mismatched true.
std::string emitAnemoiYaml(const std::vector<PlanInput> &inputs, const Plan &plan, const std::string &checkpointPath);

/// KempnerForge's TOML: `freeze = [{module = "...", frozen = true}, ...]` (fnmatch patterns
/// over parameter names, in its canonical sorted order) covering exactly the frozen tensors:
/// whole modules as "m.*", the rest by name.
std::string emitKempnerForgeToml(const std::vector<PlanInput> &inputs, const Plan &plan);

/// linnaeus' YAML: `pretrained_ckpt_handling_metadata` (drop_params / drop_buffers covering
/// exactly the dropped tensors, spelled as linnaeus' load_pretrained matches them: anchored
/// regular expressions over the checkpoint's keys once it stripped "module.";
/// supports_module_prefix when a rule strips "module."; strict when nothing is dropped; other
/// prefixes the rules strip, which linnaeus does not, in a comment) and a TYPE/FILTERS block
/// per group and for the frozen set over the model's names: a rule's own ndim, type and name
/// matchers as linnaeus' dimension, layer_type and name filters where they say the same (no
/// rename after it), else the names themselves.
std::string emitLinnaeusYaml(const std::vector<PlanInput> &inputs, const RuleSet &rules, const Plan &plan);

/// The smallest set of modules whose every kept tensor has the property, plus the tensors
/// that have it outside such modules (the exact cover the dialects above write), each in the
/// order of `all` (model order: "layer.10" after "layer.9").
struct NameCover
{
    std::vector<std::string> modules;
    std::vector<std::string> names;
};
NameCover coverNames(const std::vector<std::string> &all, const std::vector<bool> &selected);

} // namespace ckpt
