#pragma once

#include "model/base/dtype.h"
#include "model/base/square_side.h"
#include "model/rules/rule_set.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ckpt {

/// Why a resize rule cannot turn a tensor of this shape and dtype into its shape; empty when
/// it can. The rules:
/// - pos_embed: [1, p + g*g, D] -> [1, p + h*h, D] (p = prefix tokens kept aside; the grid
///   resampled bicubically, as the ViT family does it), also without the leading 1.
/// - rel_pos_table: [(2w-1)^2, heads] -> [(2v-1)^2, heads] (Swin's relative position bias
///   table, resampled bicubically as a (2w-1) x (2w-1) image per head).
/// - rows: dim 0 padded (the fill) or truncated, every other dim equal.
std::string resizeProblem(const Rule &rule, const std::vector<int64_t> &from, DType dtype);

} // namespace ckpt
