#pragma once

#include "model/rules/rule_engine.h"

#include <vector>

namespace ckpt {

/// What surgery made of an input: the first made tensor (index into Plan::added) whose recipe
/// reads it, and how many read it (a split makes several from one).
struct SurgeryUse
{
    int first = -1;
    int count = 0;
};

/// Per input of the edited checkpoint (parallel to `inputs`); all empty without surgery.
std::vector<SurgeryUse> surgeryUses(const std::vector<PlanInput> &inputs, const Plan &plan);

} // namespace ckpt
