#include "model/export/optimizer_remap.h"

#include <map>

namespace ckpt {
namespace {

const Value *field(const Value *dict, std::string_view key)
{
    if (!dict || dict->kind != ValueKind::Dict) return nullptr;
    for (size_t i = 0; i + 1 < dict->items.size(); i += 2)
        if (dict->items[i]->kind == ValueKind::String && dict->items[i]->text == key) return dict->items[i + 1];
    return nullptr;
}

bool isBuffer(const PlanInput &in)
{
    for (const char *suffix : {"running_mean", "running_var", "num_batches_tracked"})
        if (in.name.ends_with(suffix)) return true;
    return !isFloatingPoint(in.dtype) && !isComplex(in.dtype);
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

} // namespace

const Value *remapOptimizerState(ValueArena &arena, const Value *optimizer, const std::vector<PlanInput> &inputs,
                                 const Plan &plan, const std::vector<TensorInfo> &tensors)
{
    const Value *state = field(optimizer, "state");
    const Value *groups = field(optimizer, "param_groups");
    if (!state || state->kind != ValueKind::Dict || !groups || groups->kind != ValueKind::List) return nullptr;

    // The parameters in named_parameters() order: the weights minus buffers.
    std::vector<size_t> params;
    for (size_t i = 0; i < inputs.size(); ++i)
        if (!isBuffer(inputs[i])) params.push_back(i);
    // The indices, in the order the groups list them.
    std::vector<int64_t> order;
    for (const Value *g : groups->items) {
        const Value *list = field(g, "params");
        if (!list || list->kind != ValueKind::List) return nullptr;
        for (const Value *p : list->items) {
            if (p->kind != ValueKind::Int) return nullptr;
            order.push_back(p->integer);
        }
    }
    if (order.size() != params.size()) return nullptr;
    std::map<int64_t, size_t> position; // index -> position among the parameters
    for (size_t k = 0; k < order.size(); ++k)
        if (!position.emplace(order[k], k).second) return nullptr;
    // Certain only if every tensor in the state is shaped like its parameter.
    for (size_t i = 0; i + 1 < state->items.size(); i += 2) {
        const Value *key = state->items[i];
        if (key->kind != ValueKind::Int || !position.count(key->integer)) return nullptr;
        const PlanInput &param = inputs[params[position[key->integer]]];
        const Value *slots = state->items[i + 1];
        if (slots->kind != ValueKind::Dict) return nullptr;
        for (size_t s = 0; s + 1 < slots->items.size(); s += 2) {
            const Value *v = slots->items[s + 1];
            if (v->kind != ValueKind::Tensor) continue;
            const TensorInfo &t = tensors[size_t(v->index)];
            if (!t.shape.empty() && t.shape != param.shape) return nullptr; // "step" is a scalar
        }
    }
    // Renumber the surviving parameters 0, 1, ... in order.
    std::map<int64_t, int64_t> renumber;
    for (size_t k = 0; k < order.size(); ++k)
        if (!plan.tensors[params[k]].dropped) renumber.emplace(order[k], int64_t(renumber.size()));
    if (renumber.size() == order.size()) return nullptr; // nothing dropped among parameters

    Value *newState = copyDict(arena, state);
    for (size_t i = 0; i + 1 < state->items.size(); i += 2) {
        const auto it = renumber.find(state->items[i]->integer);
        if (it == renumber.end()) continue;
        newState->items.push_back(integer(arena, it->second));
        newState->items.push_back(state->items[i + 1]);
    }
    Value *newGroups = arena.make(ValueKind::List);
    for (const Value *g : groups->items) {
        Value *group = copyDict(arena, g);
        for (size_t i = 0; i + 1 < g->items.size(); i += 2) {
            const Value *value = g->items[i + 1];
            if (g->items[i]->kind == ValueKind::String && g->items[i]->text == "params") {
                Value *list = arena.make(ValueKind::List);
                for (const Value *p : value->items)
                    if (const auto it = renumber.find(p->integer); it != renumber.end())
                        list->items.push_back(integer(arena, it->second));
                value = list;
            }
            group->items.push_back(g->items[i]);
            group->items.push_back(const_cast<Value *>(value));
        }
        newGroups->items.push_back(group);
    }
    Value *out = copyDict(arena, optimizer);
    for (size_t i = 0; i + 1 < optimizer->items.size(); i += 2) {
        const Value *key = optimizer->items[i];
        const Value *value = optimizer->items[i + 1];
        if (value == state) value = newState;
        if (value == groups) value = newGroups;
        out->items.push_back(optimizer->items[i]);
        out->items.push_back(const_cast<Value *>(value));
        (void)key;
    }
    return out;
}

} // namespace ckpt
