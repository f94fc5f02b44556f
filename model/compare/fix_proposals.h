#pragma once

#include "model/compare/architecture_compare.h"
#include "model/rules/rule_set.h"

#include <string>
#include <vector>

namespace ckpt {

/// A fix for the mismatches against a target, as rules to append to the config (so it lands
/// in the config, is undoable, and later proposals see its effect).
struct FixProposal
{
    enum class Kind { Prefix, Rename, Resize, Drop, Fill, Cast, Stack, Unstack, Split, Concat };
    Kind kind = Kind::Prefix;
    std::vector<Rule> rules;
    double confidence = 1.0;   ///< 0..1: how sure the evidence makes it
    std::string reason;        ///< one line for the user
};

std::string_view proposalKindName(FixProposal::Kind kind);

/// How much the checkpoint and the target share once names are aligned (the prefix and
/// rename proposals taken): tensors with a counterpart of the same name, of all each side has.
struct Kinship
{
    size_t counterparts = 0, checkpointTensors = 0, targetTensors = 0;
    /// Fewer than half of the smaller side have a counterpart: fixing one into the other
    /// would replace the model, not repair it.
    bool differentModels() const;
    /// "different models: only 3 of 150 target tensors have a counterpart ..."
    std::string verdict() const;
};

/// Proposals in the order they are meant to be applied (each computed with the ones before
/// it applied): prefixes, layouts (stack, unstack, split, concat where the target's names and
/// shapes call for them), renames by shape and order, resizes (position embeddings, relative
/// position tables, rows of a classifier or vocabulary), drops of what stays unexpected,
/// fills of missing tensors from the target's own values, casts to the target's dtypes.
/// `plan` and `report` are what `rules` already give (the caller shows them); they are the
/// starting point, not computed again. When the two are different models (Kinship), nothing
/// is proposed: dropping what is unexpected and filling what is missing would re-initialise it.
std::vector<FixProposal> proposeFixes(const std::vector<PlanInput> &inputs, const RuleSet &rules, const Plan &plan,
                                      const CompareReport &report, const TargetArchitecture &target,
                                      const ModuleVersions &versions = {}, Kinship *kinship = nullptr);

/// `rules` with every proposal's rules appended.
RuleSet withProposals(const RuleSet &rules, const std::vector<FixProposal> &proposals);

} // namespace ckpt
