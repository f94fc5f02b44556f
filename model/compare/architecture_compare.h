#pragma once

#include "model/rules/rule_engine.h"
#include "model/rules/target_architecture.h"

#include <map>
#include <string>
#include <vector>

namespace ckpt {

/// One name of the comparison, as a strict load_state_dict would judge it.
struct CompareEntry
{
    enum class Status { Match, ShapeMismatch, DtypeDiffers, Missing, Unexpected };
    Status status = Status::Match;
    std::string name;           ///< the checkpoint's name after the rules (the target's when missing)
    int input = -1;             ///< index into the plan inputs (-1: missing, or added)
    int added = -1;             ///< index into Plan::added
    int target = -1;            ///< index into TargetArchitecture::tensors (-1: unexpected)
    std::vector<int64_t> checkpointShape, targetShape;
    DType checkpointDtype = DType::Unknown, targetDtype = DType::Unknown;
};

struct CompareReport
{
    std::vector<CompareEntry> entries; ///< the checkpoint's order, then the missing ones in the target's
    size_t matches = 0, shapeMismatches = 0, dtypeDiffers = 0, missing = 0, unexpected = 0;
    /// BatchNorm's num_batches_tracked absent from a checkpoint without state-dict version 2
    /// metadata: PyTorch fills these in itself, so they are not missing.
    std::vector<std::string> defaulted;
    /// load_state_dict(strict=True) would succeed: nothing missing, unexpected or mis-shaped
    /// (a dtype that differs is copied over by PyTorch).
    bool strictOk() const { return missing == 0 && unexpected == 0 && shapeMismatches == 0; }
    std::string verdict() const;
};

std::string_view statusName(CompareEntry::Status status);
/// The report's entries of one status, in its order.
std::vector<const CompareEntry *> entriesWithStatus(const CompareReport &report, CompareEntry::Status status);

/// The `version` of each module in the weights dict's `_metadata` (what torch.save records
/// of a state_dict); modules absent have none.
using ModuleVersions = std::map<std::string, int64_t>;
ModuleVersions stateDictVersions(const Checkpoint &checkpoint, const std::vector<PlanInput> &inputs);

/// The plan's result (renames, drops, resizes, casts, added tensors) against the target.
CompareReport compareWithTarget(const std::vector<PlanInput> &inputs, const Plan &plan, const RuleSet &rules,
                                const TargetArchitecture &target, const ModuleVersions &versions = {});

} // namespace ckpt
