#pragma once

#include "model/rules/rule_engine.h"

#include <ostream>
#include <string>

namespace ckpt {

/// `ckpt plan --json`: {weights, tensors: [{path, source_name, name|null, frozen, groups,
/// dtype}], rules: [{index, rule, enabled, tensors, parameters, bytes}], diagnostics:
/// [{severity, rule, message}], totals}.
void writePlanJson(std::ostream &out, const std::vector<PlanInput> &inputs, const RuleSet &rules,
                   const Plan &plan);

/// `ckpt plan`: per-rule counts, diagnostics, then every tensor whose plan differs from
/// leaving it alone.
std::string planText(const std::vector<PlanInput> &inputs, const RuleSet &rules, const Plan &plan);

} // namespace ckpt
