#pragma once

#include "model/diff/checkpoint_diff.h"

#include <string>

namespace ckpt {

/// `ckpt diff --json`: identical, counts, totals, `tensors` (name, status, shapes, dtypes and,
/// for changed and dtype-changed ones, max_abs, mean_abs, rel_l2, cosine, changed_elements)
/// and `modules` (relative change per module, model order).
std::string diffJson(const DiffReport &report, const std::string &pathA, const std::string &pathB);

/// For a terminal: the `top` most changed tensors (by relative change), then the totals.
std::string diffText(const DiffReport &report, size_t top);

} // namespace ckpt
