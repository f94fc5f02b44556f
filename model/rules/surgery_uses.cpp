#include "model/rules/surgery_uses.h"

#include <unordered_map>

namespace ckpt {

std::vector<SurgeryUse> surgeryUses(const std::vector<PlanInput> &inputs, const Plan &plan)
{
    std::vector<SurgeryUse> out(inputs.size());
    if (!plan.recipes) return out;
    std::unordered_map<size_t, size_t> inputOfEntry;
    for (size_t i = 0; i < inputs.size(); ++i) inputOfEntry.emplace(inputs[i].entry, i);
    const auto &steps = plan.recipes->steps;
    std::vector<int> seenBy(steps.size(), -1); // a step shared by one made tensor's operands counts once
    for (size_t k = 0; k < plan.added.size(); ++k) {
        if (plan.added[k].recipe < 0) continue;
        std::vector<int> todo{plan.added[k].recipe};
        while (!todo.empty()) {
            const int s = todo.back();
            todo.pop_back();
            if (seenBy[size_t(s)] == int(k)) continue;
            seenBy[size_t(s)] = int(k);
            const RecipeStep &step = steps[size_t(s)];
            if (step.op == RecipeStep::Op::Read && step.source == 0) {
                if (auto it = inputOfEntry.find(step.entry); it != inputOfEntry.end()) {
                    SurgeryUse &u = out[it->second];
                    if (u.first < 0) u.first = int(k);
                    ++u.count;
                }
            }
            todo.insert(todo.end(), step.operands.begin(), step.operands.end());
        }
    }
    return out;
}

} // namespace ckpt
