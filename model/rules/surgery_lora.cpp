#include "model/rules/surgery_step.h"

#include "model/checkpoint/checkpoint_summary.h"

#include <cmath>
#include <map>
#include <unordered_map>

// lora: a PEFT adapter's low-rank updates merged into the weights they target, as PEFT's
// merge_and_unload does: W += s * (B @ A), s = alpha / r (alpha / sqrt(r) with rslora).
namespace ckpt::surgery {
namespace {

struct AdapterName
{
    std::string module; ///< "model.layers.0.self_attn.q_proj"
    char side = 0;      ///< 'A' or 'B'
    bool embedding = false;
};

/// "base_model.model.<module>.lora_A[.<adapter>].weight" or "...lora_embedding_A[.<adapter>]".
std::optional<AdapterName> parseAdapterName(std::string name)
{
    constexpr std::string_view prefix = "base_model.model.";
    if (name.starts_with(prefix)) name.erase(0, prefix.size());
    for (const char *marker : {".lora_A", ".lora_B", ".lora_embedding_A", ".lora_embedding_B"}) {
        const size_t at = name.rfind(marker);
        if (at == std::string::npos || at == 0) continue;
        const std::string rest = name.substr(at + std::string_view(marker).size());
        const bool embedding = std::string_view(marker).find("embedding") != std::string_view::npos;
        // What may follow: ".weight" (linear), "" (embedding), with an adapter name before either.
        const bool ok = embedding ? (rest.empty() || (rest[0] == '.' && rest.find('.', 1) == std::string::npos))
                                  : (rest == ".weight" || (rest.ends_with(".weight") && rest[0] == '.' &&
                                                           rest.find('.', 1) == rest.size() - 7));
        if (!ok) continue;
        return AdapterName{name.substr(0, at), marker[std::string_view(marker).size() - 1], embedding};
    }
    return std::nullopt;
}

} // namespace

void lora(const CompiledSurgery &c, SurgeryState &s)
{
    const Rule &r = *c.base.rule;
    const int k = c.index;
    int sourceIndex = 0;
    const OpenedSource *src = s.source(k, r.from, &sourceIndex);
    if (!src) return;
    if (!src->lora) return s.error(k, "'" + r.from + "' is not a PEFT adapter folder (no adapter_config.json)");
    struct Pair
    {
        const PlanInput *a = nullptr, *b = nullptr;
        bool embedding = false;
    };
    std::map<std::string, Pair> modules;
    for (const auto &in : src->inputs) {
        const auto name = parseAdapterName(in.name);
        if (!name) return s.error(k, "adapter tensor " + in.name + " is not a LoRA A or B weight (only those are merged)");
        Pair &p = modules[name->module];
        (name->side == 'A' ? p.a : p.b) = &in;
        p.embedding = name->embedding;
    }
    std::unordered_map<std::string, size_t> byName;
    for (size_t i = 0; i < s.flows.size(); ++i) byName.emplace(s.flows[i].name, i);
    for (const auto &[module, p] : modules) {
        const PlanInput *any = p.a ? p.a : p.b;
        if (!p.a || !p.b) {
            s.error(k, "adapter tensor " + any->name + " has no " + (p.a ? "B" : "A") + " partner");
            continue;
        }
        const auto it = byName.find(module + ".weight");
        if (it == byName.end()) {
            s.error(k, "adapter tensor " + p.a->name + ": the checkpoint has no " + module + ".weight");
            continue;
        }
        FlowTensor &w = s.flows[it->second];
        if (p.a->shape.size() != 2 || p.b->shape.size() != 2 || p.a->shape[0] != p.b->shape[1]) {
            s.error(k, "adapter tensors of " + module + ": A " + shapeText(p.a->shape) + " and B " + shapeText(p.b->shape) +
                           " are not a rank-r pair (only Linear, Conv1D and Embedding adapters are merged)");
            continue;
        }
        const bool transposed = p.embedding || src->lora->fanInFanOut;
        std::vector<int64_t> delta{p.b->shape[0], p.a->shape[1]};
        if (transposed) std::swap(delta[0], delta[1]);
        if (w.shape != delta) {
            s.error(k, module + ".weight is " + shapeText(w.shape) + "; the adapter's update is " + shapeText(delta) +
                           (src->lora->fanInFanOut ? "" : " (fan_in_fan_out is false)"));
            continue;
        }
        const double rank = double(p.a->shape[0]);
        const double alpha = src->lora->alphaFor(module);
        RecipeStep step;
        step.op = RecipeStep::Op::Lora;
        step.rule = k;
        step.scale = r.scale * (src->lora->rslora ? alpha / std::sqrt(rank) : alpha / rank);
        step.transposed = transposed;
        step.dtype = w.dtype;
        step.shape = w.shape;
        step.operands = {s.operand(w), s.read(sourceIndex, *p.a), s.read(sourceIndex, *p.b)};
        s.remake(w, k, std::move(step));
    }
}

} // namespace ckpt::surgery
