#pragma once

#include "model/checkpoint/checkpoint.h"
#include "model/rules/rule_engine.h"
#include "model/rules/rule_set.h"

#include <string>
#include <vector>

namespace ckpt {

/// Hyper-parameters that look stale once the plan changed shapes: an integer under the
/// checkpoint's hyper-parameter keys (Lightning's hyper_parameters, hparams, args, config, cfg)
/// equal to a dimension the plan changed, as "hyper_parameters.num_classes is 1000, but
/// model.head.weight's dimension 0 is now 10". A resize counts, and so does a dropped tensor
/// an add rule puts back in its place (addedInPlaceOf).
std::vector<std::string> staleHyperParameters(const Checkpoint &c, const std::vector<PlanInput> &inputs,
                                              const Plan &plan, const RuleSet &rules);

} // namespace ckpt
