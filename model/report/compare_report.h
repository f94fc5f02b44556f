#pragma once

#include "model/compare/architecture_compare.h"
#include "model/compare/fix_proposals.h"

#include <string>
#include <vector>

namespace ckpt {

/// `ckpt compare --json`: strict_ok, verdict, counts, missing, unexpected, mismatched
/// ({name, checkpoint_shape, target_shape}), dtype_differs ({name, checkpoint_dtype,
/// target_dtype}), different_models with the kinship counts ({counterparts,
/// checkpoint_tensors, target_tensors}), and the proposals with their rules.
std::string compareJson(const CompareReport &report, const TargetArchitecture &target,
                        const std::vector<FixProposal> &proposals, const Kinship &kinship = {});

/// The same for a terminal: the verdict, then each list, then the proposals.
std::string compareText(const CompareReport &report, const TargetArchitecture &target,
                        const std::vector<FixProposal> &proposals, const Kinship &kinship = {});

} // namespace ckpt
