#pragma once

#include "model/commands/rules_on_weights.h"

#include <cstdint>
#include <optional>
#include <string>

namespace ckpt {

/// `ckpt plan`: the rules evaluated on the checkpoint's weights (the freeze schedule up to
/// `step` when given).
struct PlanRun
{
    RulesOnWeights loaded;
    Plan plan;
    std::string path;       ///< the checkpoint, as the caller named it
    std::string configName; ///< the config's file name ("" for a config given as text)
};
Result<PlanRun> runPlan(const std::string &path, const ConfigInput &config, std::optional<int64_t> step = {});

/// `ckpt plan --json`
std::string planJson(const PlanRun &run);
/// The config in another form (`ckpt plan --emit`): json, yaml (the config with its resolved
/// result), python (a function applying it to an nn.Module), anemoi, kempnerforge, linnaeus
/// (the blocks those trainers read). An unknown format is an error.
Result<std::string> emittedConfig(const PlanRun &run, const std::string &format);

} // namespace ckpt
