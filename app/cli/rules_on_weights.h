#pragma once

#include "model/checkpoint/checkpoint.h"
#include "model/rules/rule_engine.h"
#include "model/rules/rule_set.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ckpt::cli {

/// What `plan` and `compare` start from: a config's rules, compiled, and the weights of a
/// checkpoint they act on.
struct RulesOnWeights
{
    RuleSet rules;
    std::shared_ptr<const CompiledRules> compiled;
    std::shared_ptr<const Checkpoint> checkpoint; ///< kept alive until exit
    std::vector<PlanInput> inputs;
};

/// Loads them (no config: no rules). On failure prints the one-line error naming the file at
/// fault and returns nullopt.
std::optional<RulesOnWeights> loadRulesOnWeights(const std::string &path, const std::string *configPath);

} // namespace ckpt::cli
