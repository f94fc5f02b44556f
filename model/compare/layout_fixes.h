#pragma once

#include "model/compare/fix_proposals.h"

#include <vector>

namespace ckpt {

/// Proposals that change a tensor's layout to the target's (internal to fix_proposals):
/// stack "layers.{i}.w" into a missing "layers.w" of shape [N, ...], unstack the inverse,
/// split a fused tensor ("attn.qkv.weight") into the target's parts ("attn.q.weight", ...)
/// along axis 0, concat the inverse. Each only where names, counts and shapes all agree.
std::vector<FixProposal> layoutFixes(const CompareReport &report);

} // namespace ckpt
