#include "model/export/added_placement.h"

#include <map>
#include <string_view>

namespace ckpt {

std::vector<int> addedInPlaceOf(const std::vector<PlanInput> &inputs, const Plan &plan)
{
    std::vector<int> out(plan.added.size(), -1);
    if (plan.added.empty()) return out;
    // Dropped inputs by their name and each of its dotted tails; -2 where two share one.
    std::map<std::string_view, int> dropped;
    for (size_t i = 0; i < inputs.size(); ++i) {
        if (!plan.tensors[i].dropped) continue;
        std::string_view name = inputs[i].name;
        for (;;) {
            auto [it, inserted] = dropped.try_emplace(name, int(i));
            if (!inserted && it->second != int(i)) it->second = -2;
            const size_t dot = name.find('.');
            if (dot == std::string_view::npos) break;
            name.remove_prefix(dot + 1);
        }
    }
    std::vector<bool> taken(inputs.size());
    for (size_t k = 0; k < plan.added.size(); ++k) {
        const auto it = dropped.find(plan.added[k].name);
        if (it == dropped.end() || it->second < 0 || taken[size_t(it->second)]) continue;
        taken[size_t(it->second)] = true;
        out[k] = it->second;
    }
    return out;
}

} // namespace ckpt
