#include "model/export/stale_hyperparameters.h"

#include "model/export/added_placement.h"

#include <map>
#include <unordered_set>

namespace ckpt {
namespace {

constexpr std::string_view kHyperParameterKeys[] = {"hyper_parameters", "hparams", "hyper_params", "args", "config", "cfg"};
constexpr int kDepth = 6;

/// old dimension -> what it became, and where.
struct Change
{
    int64_t now = 0;
    std::string tensor;
    size_t dim = 0;
};

void recordChanges(std::map<int64_t, Change> &changes, const std::string &tensor, const std::vector<int64_t> &before,
                   const std::vector<int64_t> &after)
{
    if (before.size() != after.size()) return;
    for (size_t d = 0; d < before.size(); ++d)
        if (before[d] != after[d] && before[d] > 1) changes.try_emplace(before[d], Change{after[d], tensor, d});
}

struct Walk
{
    const std::map<int64_t, Change> &changes;
    std::vector<std::string> &found;
    std::unordered_set<const Value *> seen;

    void value(const Value *v, const std::string &path, int depth)
    {
        if (!v || depth > kDepth) return;
        if (v->kind != ValueKind::Int && !seen.insert(v).second) return; // a shared (or cyclic) container
        switch (v->kind) {
        case ValueKind::Int:
            if (const auto it = changes.find(v->integer); it != changes.end())
                found.push_back(path + " is " + std::to_string(v->integer) + ", but " + it->second.tensor +
                                "'s dimension " + std::to_string(it->second.dim) + " is now " +
                                std::to_string(it->second.now));
            break;
        case ValueKind::Dict:
            for (size_t k = 0; k + 1 < v->items.size(); k += 2)
                if (v->items[k]->kind == ValueKind::String)
                    value(v->items[k + 1], path + "." + std::string(v->items[k]->text), depth + 1);
            break;
        case ValueKind::Object: // argparse.Namespace, a dataclass: their __dict__
            if (v->state) value(v->state, path, depth + 1);
            if (v->dictItems) value(v->dictItems, path, depth + 1);
            break;
        case ValueKind::Tuple: // (dict, slots) states
            for (const Value *item : v->items)
                if (item->kind == ValueKind::Dict) value(item, path, depth + 1);
            break;
        default:
            break;
        }
    }
};

} // namespace

std::vector<std::string> staleHyperParameters(const Checkpoint &c, const std::vector<PlanInput> &inputs,
                                              const Plan &plan, const RuleSet &rules)
{
    std::map<int64_t, Change> changes;
    for (size_t i = 0; i < inputs.size(); ++i)
        if (const TensorPlan &t = plan.tensors[i]; !t.dropped)
            recordChanges(changes, std::string(t.name), inputs[i].shape, plannedShape(inputs, plan, rules, i));
    // An added tensor that takes a dropped one's place (as the export writes it) changed it.
    const std::vector<int> place = addedInPlaceOf(inputs, plan);
    for (size_t a = 0; a < plan.added.size(); ++a)
        if (place[a] >= 0)
            recordChanges(changes, plan.added[a].name, inputs[size_t(place[a])].shape,
                          rules.rules[size_t(plan.added[a].rule)].shape);
    std::vector<std::string> found;
    const Value *root = c.root();
    if (changes.empty() || !root || root->kind != ValueKind::Dict) return found;
    Walk walk{changes, found, {}};
    for (size_t k = 0; k + 1 < root->items.size(); k += 2) {
        const Value *key = root->items[k];
        if (key->kind != ValueKind::String) continue;
        for (std::string_view name : kHyperParameterKeys)
            if (key->text == name) walk.value(root->items[k + 1], std::string(name), 0);
    }
    return found;
}

} // namespace ckpt
