#pragma once

#include "model/commands/rules_on_weights.h"
#include "model/compare/architecture_compare.h"
#include "model/compare/fix_proposals.h"
#include "model/rules/target_architecture.h"

#include <string>
#include <vector>

namespace ckpt {

/// `ckpt compare`: would the checkpoint, after the config's rules, load into the target with a
/// strict load_state_dict; and the fixes proposed as rules.
struct CompareRun
{
    RulesOnWeights loaded;
    TargetArchitecture target;
    Plan plan;
    CompareReport report;
    std::vector<FixProposal> proposals;
    Kinship kinship;
    std::vector<std::string> configErrors; ///< the plan's error diagnostics (the compare still runs)
};
/// An error's `input` names the file at fault (the checkpoint, the config or the target).
Result<CompareRun> runCompare(const std::string &path, const ConfigInput &config, const std::string &targetPath);

/// `ckpt compare --json`
std::string compareRunJson(const CompareRun &run);
/// The config plus every proposal (`--suggest`).
RuleSet suggestedRules(const CompareRun &run);

} // namespace ckpt
