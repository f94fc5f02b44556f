#pragma once

#include "model/rules/rule_engine.h"

#include <cstdint>
#include <vector>

namespace ckpt {

/// The plan at a glance: how many weights and parameters end up frozen, trainable, dropped.
struct PlanTotals
{
    size_t tensors = 0, frozen = 0, dropped = 0;
    size_t consumed = 0; ///< inputs surgery made part of other tensors (not counted as dropped)
    size_t made = 0;     ///< tensors the plan adds: add rules' and surgery's
    int64_t frozenParameters = 0, trainableParameters = 0, droppedParameters = 0;
};

PlanTotals planTotals(const std::vector<PlanInput> &inputs, const Plan &plan);

} // namespace ckpt
