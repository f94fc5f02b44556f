#pragma once

#include "model/base/result.h"
#include "model/checkpoint/checkpoint.h"
#include "model/rules/rule_engine.h"
#include "model/rules/rule_set.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ckpt {

/// Where a command's rules come from: a config file, or a config's text (a dict from Python,
/// written as JSON), or none (no rules at all).
struct ConfigInput
{
    std::string path;                ///< the file; for text, what errors call it ("config")
    std::optional<std::string> text = {}; ///< set: parsed as JSON instead of reading `path`
    bool given() const { return !path.empty() || text.has_value(); }
    /// The config's file name, recorded beside what the rules wrote ("" for text).
    std::string fileName() const;
};

/// The rules a ConfigInput names (no config: an empty RuleSet). Errors name the config.
Result<RuleSet> loadConfigInput(const ConfigInput &config);

/// What plan, apply and compare start from: a config's rules, compiled, and the weights of the
/// checkpoint they act on.
struct RulesOnWeights
{
    RuleSet rules;
    std::shared_ptr<const CompiledRules> compiled;
    std::shared_ptr<const Checkpoint> checkpoint;
    std::vector<PlanInput> inputs;
};

/// Loads the config, compiles its rules, opens the checkpoint and finds its weights (the
/// config's "weights" when it says where they are). An error's `input` names the file at fault:
/// the config's path or `path`.
Result<RulesOnWeights> loadRulesOnWeights(const std::string &path, const ConfigInput &config);

} // namespace ckpt
