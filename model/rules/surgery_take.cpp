#include "model/rules/surgery_step.h"

#include <unordered_map>

// take: tensors of another checkpoint copied into the result, renamed like a rename rule.
namespace ckpt::surgery {

void take(const CompiledSurgery &c, SurgeryState &s)
{
    const Rule &r = *c.base.rule;
    const int k = c.index;
    int sourceIndex = 0;
    const OpenedSource *src = s.source(k, r.from, &sourceIndex);
    if (!src) return;
    std::vector<FlowTensor> candidates;
    for (const auto &in : src->inputs) {
        FlowTensor f;
        f.name = in.name;
        f.dtype = in.dtype;
        f.shape = in.shape;
        candidates.push_back(std::move(f));
    }
    const std::vector<bool> selected = selectFlows(c, candidates);
    std::unordered_map<std::string, size_t> existing;
    for (size_t i = 0; i < s.flows.size(); ++i) existing.emplace(s.flows[i].name, i);
    std::vector<bool> replaced(s.flows.size());
    std::vector<FlowTensor> taken;
    std::unordered_map<std::string, std::string> takenFrom;
    for (size_t i = 0; i < candidates.size(); ++i) {
        if (!selected[i]) continue;
        const PlanInput &in = src->inputs[i];
        std::string name = in.name;
        if (c.to) name = renamed(c, &*c.to, r.to, in.name);
        else if (!r.prefix.empty() || !r.to.empty())
            if (name.starts_with(r.prefix)) name = r.to + name.substr(r.prefix.size());
        if (auto [it, fresh] = takenFrom.emplace(name, in.name); !fresh) {
            s.error(k, in.name + " and " + it->second + " of '" + r.from + "' both become " + name);
            continue;
        }
        if (auto it = existing.find(name); it != existing.end()) {
            if (!r.replace) {
                s.error(k, name + " exists already (say \"replace\": true to replace it)");
                continue;
            }
            replaced[it->second] = true;
        }
        FlowTensor f;
        f.name = std::move(name);
        f.dtype = in.dtype;
        f.shape = in.shape;
        f.recipe = s.read(sourceIndex, in);
        f.madeBy = k;
        s.count(k, f.shape, f.dtype);
        taken.push_back(std::move(f));
    }
    // A replaced tensor gives up its place to the one that replaces it; the rest go at the end.
    std::unordered_map<std::string, size_t> byName;
    for (size_t t = 0; t < taken.size(); ++t) byName.emplace(taken[t].name, t);
    std::vector<bool> placed(taken.size());
    std::vector<FlowTensor> flows;
    for (size_t i = 0; i < s.flows.size(); ++i) {
        if (!replaced[i]) {
            flows.push_back(std::move(s.flows[i]));
            continue;
        }
        s.consume(s.flows[i], k);
        const size_t t = byName.at(s.flows[i].name);
        placed[t] = true;
        flows.push_back(std::move(taken[t]));
    }
    for (size_t t = 0; t < taken.size(); ++t)
        if (!placed[t]) flows.push_back(std::move(taken[t]));
    s.flows = std::move(flows);
}

} // namespace ckpt::surgery
