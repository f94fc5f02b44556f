#pragma once

#include "model/rules/rule_engine.h"

#include <vector>

namespace ckpt {

/// Where each added tensor goes in the weights dict: in place of the dropped input it
/// replaces (a dropped "model.head.weight" and an added "model.head.weight" or "head.weight":
/// the same name, or the name without leading components, when only one dropped input fits),
/// so the file keeps the model's order and optimizer indices stay in step; -1 for one added
/// at the end. Parallel to Plan::added.
std::vector<int> addedInPlaceOf(const std::vector<PlanInput> &inputs, const Plan &plan);

} // namespace ckpt
