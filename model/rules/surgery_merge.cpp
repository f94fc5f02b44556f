#include "model/rules/surgery_step.h"

#include "model/checkpoint/checkpoint_summary.h"

#include <unordered_map>

// merge: the matching tensors become a merge of the same-named tensors of several
// checkpoints (linear, task arithmetic, SLERP, TIES, as mergekit defines them).
namespace ckpt::surgery {

void merge(const CompiledSurgery &c, SurgeryState &s)
{
    const Rule &r = *c.base.rule;
    const int k = c.index;
    // The models in operand order: for all but linear the base first, then the others.
    std::vector<std::pair<std::string, double>> models;
    if (r.method != "linear") models.emplace_back(r.base, 0);
    for (const auto &w : r.weights)
        if (r.method == "linear" || w.first != r.base) models.push_back(w);
    struct Model
    {
        int source = 0;
        const OpenedSource *opened = nullptr;
        std::unordered_map<std::string_view, const PlanInput *> byName;
    };
    std::vector<Model> resolved;
    for (const auto &[name, weight] : models) {
        Model m;
        if (name != "self") {
            m.opened = s.source(k, name, &m.source);
            if (!m.opened) return;
            for (const auto &in : m.opened->inputs) m.byName.emplace(in.name, &in);
        }
        resolved.push_back(std::move(m));
    }
    if (models.size() < 2) return s.error(k, "a merge needs two models or more");
    const std::vector<bool> selected = selectFlows(c, s.flows);
    for (size_t i = 0; i < s.flows.size(); ++i) {
        if (!selected[i]) continue;
        FlowTensor &f = s.flows[i];
        if (!isFloatingPoint(f.dtype)) {
            s.error(k, f.name + " is " + std::string(dtypeName(f.dtype)) + "; only floating-point tensors merge");
            continue;
        }
        RecipeStep step;
        step.op = RecipeStep::Op::Merge;
        step.rule = k;
        step.dtype = f.dtype;
        step.shape = f.shape;
        bool ok = true;
        std::vector<int> operands;
        for (size_t m = 0; m < models.size() && ok; ++m) {
            if (!resolved[m].opened) {
                operands.push_back(-1); // self: the flow itself, resolved below
                continue;
            }
            const auto it = resolved[m].byName.find(f.name);
            if (it == resolved[m].byName.end()) {
                s.error(k, "'" + models[m].first + "' has no " + f.name);
                ok = false;
            } else if (it->second->shape != f.shape) {
                s.error(k, f.name + " is " + shapeText(f.shape) + " here and " + shapeText(it->second->shape) + " in '" +
                               models[m].first + "'");
                ok = false;
            } else if (!isFloatingPoint(it->second->dtype)) {
                s.error(k, f.name + " is " + std::string(dtypeName(it->second->dtype)) + " in '" + models[m].first + "'");
                ok = false;
            } else {
                operands.push_back(s.read(resolved[m].source, *it->second));
            }
        }
        if (!ok) continue;
        const int self = s.operand(f);
        for (int &o : operands)
            if (o < 0) o = self;
        step.operands = operands;
        for (const auto &m : models) step.weights.push_back(m.second);
        s.remake(f, k, std::move(step));
    }
}

} // namespace ckpt::surgery
