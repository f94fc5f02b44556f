#include "model/rules/plan_totals.h"

namespace ckpt {

PlanTotals planTotals(const std::vector<PlanInput> &inputs, const Plan &plan)
{
    PlanTotals t;
    t.tensors = inputs.size();
    for (size_t i = 0; i < inputs.size() && i < plan.tensors.size(); ++i) {
        const TensorPlan &p = plan.tensors[i];
        if (p.dropped) {
            ++t.dropped;
            t.droppedParameters += inputs[i].numel;
        } else if (p.frozen) {
            ++t.frozen;
            t.frozenParameters += inputs[i].numel;
        } else {
            t.trainableParameters += inputs[i].numel;
        }
    }
    return t;
}

} // namespace ckpt
