#include "model/rules/plan_totals.h"

namespace ckpt {

PlanTotals planTotals(const std::vector<PlanInput> &inputs, const Plan &plan)
{
    PlanTotals t;
    t.tensors = inputs.size();
    for (size_t i = 0; i < inputs.size() && i < plan.tensors.size(); ++i) {
        const TensorPlan &p = plan.tensors[i];
        if (p.consumedBy >= 0) {
            ++t.consumed;
        } else if (p.dropped) {
            ++t.dropped;
            t.droppedParameters += inputs[i].numel;
        } else if (p.frozen) {
            ++t.frozen;
            t.frozenParameters += inputs[i].numel;
        } else {
            t.trainableParameters += inputs[i].numel;
        }
    }
    for (const auto &a : plan.added) {
        if (a.recipe < 0) continue; // an add rule's tensor: counted as before, not at all
        ++t.made;
        int64_t n = 1;
        for (int64_t d : a.shape) n *= d;
        (a.frozen ? t.frozenParameters : t.trainableParameters) += n;
        t.frozen += a.frozen;
    }
    return t;
}

} // namespace ckpt
