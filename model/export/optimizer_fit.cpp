#include "model/export/optimizer_fit.h"

#include "model/checkpoint/checkpoint_summary.h"
#include "model/export/added_placement.h"

#include <map>
#include <set>

namespace ckpt {
namespace {

const Value *field(const Value *dict, std::string_view key)
{
    if (!dict || dict->kind != ValueKind::Dict) return nullptr;
    for (size_t i = 0; i + 1 < dict->items.size(); i += 2)
        if (dict->items[i]->kind == ValueKind::String && dict->items[i]->text == key) return dict->items[i + 1];
    return nullptr;
}

bool isParameter(std::string_view name, DType dtype)
{
    for (const char *suffix : {"running_mean", "running_var", "num_batches_tracked"})
        if (name.ends_with(suffix)) return false;
    return isFloatingPoint(dtype) || isComplex(dtype);
}

Value *copyDict(ValueArena &arena, const Value *dict)
{
    Value *out = arena.make(ValueKind::Dict);
    out->callable = dict->callable;
    out->args = dict->args;
    out->how = dict->how;
    out->state = dict->state;
    return out;
}

Value *integer(ValueArena &arena, int64_t i)
{
    Value *v = arena.make(ValueKind::Int);
    v->integer = i;
    return v;
}

/// The indices of an optimizer state dict, in the order its groups list them.
struct Indices
{
    const Value *state = nullptr;
    const Value *groups = nullptr;
    std::vector<int64_t> order;
    std::vector<size_t> group; ///< parallel to order: which param group
    std::map<int64_t, size_t> position; ///< index -> position in order
    std::string why;           ///< not an optimizer state dict we can read
};

Indices readIndices(const Value *optimizer)
{
    Indices out;
    out.state = field(optimizer, "state");
    out.groups = field(optimizer, "param_groups");
    if (!out.state || out.state->kind != ValueKind::Dict || !out.groups || out.groups->kind != ValueKind::List) {
        out.why = "it is not an optimizer state dict (no 'state' dict and 'param_groups' list)";
        return out;
    }
    for (size_t g = 0; g < out.groups->items.size(); ++g) {
        const Value *list = field(out.groups->items[g], "params");
        if (!list || list->kind != ValueKind::List) {
            out.why = "param group " + std::to_string(g) + " has no list of parameter indices";
            return out;
        }
        for (const Value *p : list->items) {
            if (p->kind != ValueKind::Int) {
                out.why = "param group " + std::to_string(g) + " lists parameters by something else than an index";
                return out;
            }
            if (!out.position.emplace(p->integer, out.order.size()).second) {
                out.why = "index " + std::to_string(p->integer) + " is listed twice";
                return out;
            }
            out.order.push_back(p->integer);
            out.group.push_back(g);
        }
    }
    return out;
}

/// optimizerMisfit on indices already read.
std::optional<std::string> misfitOf(const Indices &x, const std::vector<OptimizerParameter> &params,
                                    const std::vector<TensorInfo> &tensors, const std::vector<size_t> *groupSizes)
{
    if (!x.why.empty()) return x.why;
    if (x.order.size() != params.size())
        return "its groups list " + std::to_string(x.order.size()) + " parameters and the weights hold " +
               std::to_string(params.size());
    if (groupSizes) {
        std::vector<size_t> sizes(x.groups->items.size());
        for (size_t g : x.group) ++sizes[g];
        if (sizes != *groupSizes) return "its param groups do not hold the parameters planned for them";
    }
    for (size_t i = 0; i + 1 < x.state->items.size(); i += 2) {
        const Value *key = x.state->items[i];
        if (key->kind != ValueKind::Int || !x.position.count(key->integer))
            return "its state holds an entry for a parameter no group lists";
        const OptimizerParameter &param = params[x.position.at(key->integer)];
        const Value *slots = x.state->items[i + 1];
        if (slots->kind != ValueKind::Dict) return "the state of parameter " + std::to_string(key->integer) + " is not a dict";
        for (size_t s = 0; s + 1 < slots->items.size(); s += 2) {
            const Value *v = slots->items[s + 1];
            if (v->kind != ValueKind::Tensor || v->index < 0 || size_t(v->index) >= tensors.size()) continue;
            const TensorInfo &t = tensors[size_t(v->index)];
            // A scalar ("step") fits every parameter; a moment has its parameter's shape.
            if (!t.shape.empty() && t.shape != param.shape) {
                const std::string slot = slots->items[s]->kind == ValueKind::String ? std::string(slots->items[s]->text) : "?";
                return "the " + slot + " of parameter " + std::to_string(key->integer) + " is shaped " +
                       shapeText(t.shape) + ", its weight " + param.name + " " + shapeText(param.shape);
            }
        }
    }
    return std::nullopt;
}

} // namespace

std::vector<OptimizerParameter> optimizerParameters(const std::vector<PlanInput> &inputs)
{
    std::vector<OptimizerParameter> out;
    for (const auto &in : inputs)
        if (isParameter(in.name, in.dtype)) out.push_back({in.name, in.shape});
    return out;
}

std::optional<std::string> optimizerMisfit(const Value *optimizer, const std::vector<OptimizerParameter> &params,
                                           const std::vector<TensorInfo> &tensors, const std::vector<size_t> *groupSizes)
{
    return misfitOf(readIndices(optimizer), params, tensors, groupSizes);
}

OptimizerFit fitOptimizerState(ValueArena &arena, const Value *optimizer, const std::vector<PlanInput> &inputs,
                               const Plan &plan, const RuleSet &rules, const std::vector<TensorInfo> &tensors)
{
    OptimizerFit fit;
    // The source's parameters and what the plan does to each.
    std::vector<size_t> params; // input index of each parameter
    for (size_t i = 0; i < inputs.size(); ++i)
        if (isParameter(inputs[i].name, inputs[i].dtype)) params.push_back(i);
    // Added parameters: in place of a dropped one (that position, no state) or at the end.
    const std::vector<int> place = addedInPlaceOf(inputs, plan);
    std::map<size_t, size_t> replacing; // input -> added
    std::vector<std::string> addedParams;
    for (size_t a = 0; a < plan.added.size(); ++a) {
        const Rule &r = rules.rules[size_t(plan.added[a].rule)];
        if (!isParameter(plan.added[a].name, r.castTo)) continue;
        if (place[a] >= 0 && isParameter(inputs[size_t(place[a])].name, inputs[size_t(place[a])].dtype))
            replacing.emplace(size_t(place[a]), a);
        else
            addedParams.push_back(plan.added[a].name);
    }
    bool touched = !addedParams.empty() || !replacing.empty();
    for (size_t i : params) {
        const TensorPlan &t = plan.tensors[i];
        touched = touched || t.dropped || plannedShape(inputs, plan, rules, i) != inputs[i].shape;
    }
    if (!touched) return fit;

    const Indices x = readIndices(optimizer);
    if (const auto misfit = misfitOf(x, optimizerParameters(inputs), tensors, nullptr)) {
        fit.outcome = OptimizerFit::Outcome::Uncertain;
        fit.why = *misfit;
        return fit;
    }

    // Position k in the groups' order is parameter params[k]. Survivors are renumbered
    // 0, 1, ...; a resized one keeps its place with no state; added ones follow.
    std::map<int64_t, int64_t> renumber;
    std::set<int64_t> cleared; // indices whose state goes
    for (size_t k = 0; k < x.order.size(); ++k) {
        const size_t i = params[k];
        if (plan.tensors[i].dropped) {
            const auto r = replacing.find(i);
            if (r == replacing.end()) continue;
            renumber.emplace(x.order[k], int64_t(renumber.size()));
            cleared.insert(x.order[k]);
            fit.resized.push_back(plan.added[r->second].name + " " + shapeText(inputs[i].shape) + " -> " +
                                  shapeText(rules.rules[size_t(plan.added[r->second].rule)].shape) + " (added anew)");
            continue;
        }
        renumber.emplace(x.order[k], int64_t(renumber.size()));
        const auto &shape = plannedShape(inputs, plan, rules, i);
        if (shape != inputs[i].shape) {
            cleared.insert(x.order[k]);
            fit.resized.push_back(std::string(plan.tensors[i].name) + " " + shapeText(inputs[i].shape) + " -> " +
                                  shapeText(shape));
        }
    }
    Value *newState = copyDict(arena, x.state);
    for (size_t i = 0; i + 1 < x.state->items.size(); i += 2) {
        const int64_t index = x.state->items[i]->integer;
        const auto it = renumber.find(index);
        if (it == renumber.end()) continue; // a dropped parameter's
        if (cleared.count(index)) {
            ++fit.reset;
            continue;
        }
        newState->items.push_back(integer(arena, it->second));
        newState->items.push_back(x.state->items[i + 1]);
    }
    Value *newGroups = arena.make(ValueKind::List);
    for (size_t g = 0; g < x.groups->items.size(); ++g) {
        const Value *source = x.groups->items[g];
        Value *group = copyDict(arena, source);
        size_t size = 0;
        for (size_t i = 0; i + 1 < source->items.size(); i += 2) {
            const Value *value = source->items[i + 1];
            if (source->items[i]->kind == ValueKind::String && source->items[i]->text == "params") {
                Value *list = arena.make(ValueKind::List);
                for (const Value *p : value->items)
                    if (const auto it = renumber.find(p->integer); it != renumber.end())
                        list->items.push_back(integer(arena, it->second));
                if (g + 1 == x.groups->items.size())
                    for (size_t a = 0; a < addedParams.size(); ++a)
                        list->items.push_back(integer(arena, int64_t(renumber.size() + a)));
                size = list->items.size();
                value = list;
            }
            group->items.push_back(source->items[i]);
            group->items.push_back(const_cast<Value *>(value));
        }
        fit.groupSizes.push_back(size);
        newGroups->items.push_back(group);
    }
    if (x.groups->items.empty() && !addedParams.empty()) {
        fit.outcome = OptimizerFit::Outcome::Uncertain;
        fit.why = "it has no param group for the added parameters";
        return fit;
    }
    fit.addedNames = std::move(addedParams);
    Value *out = copyDict(arena, optimizer);
    for (size_t i = 0; i + 1 < optimizer->items.size(); i += 2) {
        const Value *value = optimizer->items[i + 1];
        if (value == x.state) value = newState;
        if (value == x.groups) value = newGroups;
        out->items.push_back(optimizer->items[i]);
        out->items.push_back(const_cast<Value *>(value));
    }
    fit.state = out;
    fit.outcome = fit.resized.empty() && fit.addedNames.empty() ? OptimizerFit::Outcome::Remapped
                                                             : OptimizerFit::Outcome::Refitted;
    return fit;
}

} // namespace ckpt
