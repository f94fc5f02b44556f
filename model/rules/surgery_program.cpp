#include "model/rules/surgery_program.h"

#include "model/rules/plan_storage.h"

#include <algorithm>
#include <unordered_map>

namespace ckpt {

using surgery::FlowTensor;

SurgeryProgram::SurgeryProgram(const RuleSet &set, std::shared_ptr<const RuleSources> sources)
    : m_set(set), m_sources(std::move(sources))
{
    size_t begin = 0;
    for (size_t k = 0; k <= set.rules.size(); ++k) {
        const bool end = k == set.rules.size();
        if (!end && !(set.rules[k].enabled && isSurgery(set.rules[k].action))) continue;
        auto seg = std::make_unique<Segment>();
        seg->rules = set;
        seg->rules.sources.clear();
        if (!end) seg->rules.schedule.clear(); // the schedule runs once, at the end
        for (size_t j = 0; j < set.rules.size(); ++j) {
            Rule &r = seg->rules.rules[j];
            const bool here = j >= begin && j < k && !isSurgery(r.action) && (r.action != Rule::Action::Add || end);
            r.enabled = r.enabled && (here || (end && r.action == Rule::Action::Add));
        }
        auto compiled = CompiledRules::compile(seg->rules);
        if (!compiled) throw std::runtime_error(compiled.error().message);
        seg->perTensor = *compiled;
        seg->surgery = end ? -1 : int(k);
        if (!end) m_surgery.push_back(surgery::compileSurgery(set.rules[k], set, int(k)));
        m_segments.push_back(std::move(seg));
        begin = k + 1;
    }
}

namespace {

void mergeGroups(std::vector<std::string> &into, std::span<const std::string> more)
{
    for (const auto &g : more)
        if (std::find(into.begin(), into.end(), g) == into.end()) into.push_back(g);
}

std::vector<PlanInput> flowInputs(const std::vector<FlowTensor> &flows, const std::vector<PlanInput> &inputs)
{
    std::vector<PlanInput> out;
    out.reserve(flows.size());
    for (const auto &f : flows) {
        PlanInput in;
        if (f.recipe < 0) {
            in.path = inputs[size_t(f.origin)].path;
            in.entry = inputs[size_t(f.origin)].entry;
        }
        in.name = f.name;
        in.dtype = f.dtype;
        in.shape = f.shape;
        in.numel = surgery::numelOf(f.shape);
        in.bytes = (uint64_t(in.numel) * uint64_t(dtypeBits(f.dtype)) + 7) / 8;
        in.frozen = f.frozen;
        out.push_back(std::move(in));
    }
    return out;
}

} // namespace

Plan SurgeryProgram::evaluate(const std::vector<PlanInput> &inputs, std::optional<int64_t> step) const
{
    Plan plan;
    plan.rules.resize(m_set.rules.size());
    auto book = std::make_shared<RecipeBook>();
    surgery::SurgeryState s{m_set, *m_sources, inputs, {}, {}, std::vector<int>(inputs.size(), -1), plan.rules,
                            plan.diagnostics};
    for (size_t i = 0; i < inputs.size(); ++i) {
        FlowTensor f;
        f.name = inputs[i].name;
        f.dtype = inputs[i].dtype;
        f.shape = inputs[i].shape;
        f.origin = int(i);
        s.flows.push_back(std::move(f));
    }
    Plan last;
    for (size_t g = 0; g < m_segments.size(); ++g) {
        const Segment &seg = *m_segments[g];
        const bool end = seg.surgery < 0;
        Plan part = seg.perTensor->evaluate(flowInputs(s.flows, inputs), end ? step : std::nullopt);
        for (size_t k = 0; k < plan.rules.size(); ++k) {
            plan.rules[k].tensors += part.rules[k].tensors;
            plan.rules[k].parameters += part.rules[k].parameters;
            plan.rules[k].bytes += part.rules[k].bytes;
        }
        plan.diagnostics.insert(plan.diagnostics.end(), part.diagnostics.begin(), part.diagnostics.end());
        if (end) {
            last = std::move(part);
            break;
        }
        // The tensors in flight as this segment leaves them.
        std::vector<FlowTensor> kept;
        for (size_t j = 0; j < s.flows.size(); ++j) {
            FlowTensor &f = s.flows[j];
            const TensorPlan &t = part.tensors[j];
            if (t.dropped) continue;
            f.name = std::string(t.name);
            f.frozen = t.frozen;
            mergeGroups(f.groups, t.groups);
            const std::vector<int64_t> shape =
                t.resizedBy >= 0 ? m_set.rules[size_t(t.resizedBy)].shape : f.shape;
            if (f.recipe < 0) {
                f.dtype = t.dtype;
                if (t.resizedBy >= 0) f.resizedBy = t.resizedBy;
            } else if (t.dtype != f.dtype || t.resizedBy >= 0) {
                f.recipe = s.edit(f.recipe, t.resizedBy, t.dtype, shape);
                f.dtype = t.dtype;
            }
            f.shape = shape;
            kept.push_back(std::move(f));
        }
        s.flows = std::move(kept);
        const surgery::CompiledSurgery &c = m_surgery[g];
        switch (m_set.rules[size_t(seg.surgery)].action) {
        case Rule::Action::Take: surgery::take(c, s); break;
        case Rule::Action::Stack:
        case Rule::Action::Concat: surgery::stackOrConcat(c, s); break;
        case Rule::Action::Unstack:
        case Rule::Action::Split: surgery::unstackOrSplit(c, s); break;
        case Rule::Action::Transpose:
        case Rule::Action::Reshape: surgery::transposeOrReshape(c, s); break;
        case Rule::Action::Lora: surgery::lora(c, s); break;
        case Rule::Action::Merge: surgery::merge(c, s); break;
        case Rule::Action::PermuteHeads:
        case Rule::Action::UnpermuteHeads: surgery::permuteHeads(c, s); break;
        case Rule::Action::Shift: surgery::shift(c, s); break;
        default: break;
        }
        const int k = seg.surgery;
        const bool reported = std::any_of(plan.diagnostics.begin(), plan.diagnostics.end(),
                                          [&](const Diagnostic &d) { return d.rule == k; });
        if (plan.rules[size_t(k)].tensors == 0 && !reported && !m_set.rules[size_t(k)].optional)
            plan.diagnostics.push_back({Diagnostic::Severity::Error, k,
                                        "rule " + std::to_string(k) + " (" + describeRule(m_set.rules[size_t(k)]) +
                                            ") matches no tensor"});
    }

    // The result: the edited checkpoint's tensors where they are still themselves, and what
    // surgery made.
    auto storage = std::make_shared<PlanStorage>();
    PlanStorageWriter names;
    auto groupList = [&](std::vector<std::string> groups) -> std::span<const std::string> {
        if (groups.empty()) return {};
        storage->groupLists.push_back(std::make_unique<const std::vector<std::string>>(std::move(groups)));
        return *storage->groupLists.back();
    };
    plan.tensors.resize(inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
        plan.tensors[i].dropped = true;
        plan.tensors[i].dtype = inputs[i].dtype;
        plan.tensors[i].consumedBy = s.consumedBy[i];
    }
    std::unordered_map<std::string_view, int> made; // final name -> the surgery rule that made it (-1: an input)
    auto claim = [&](std::string_view name, int by) {
        const auto [it, fresh] = made.emplace(name, by);
        if (!fresh && (by >= 0 || it->second >= 0)) {
            const int k = by >= 0 ? by : it->second;
            plan.diagnostics.push_back({Diagnostic::Severity::Error, k,
                                        "rule " + std::to_string(k) + " (" + std::string(actionName(m_set.rules[size_t(k)].action)) +
                                            "): " + std::string(name) + " is made twice"});
        }
    };
    for (size_t j = 0; j < s.flows.size(); ++j) {
        const FlowTensor &f = s.flows[j];
        const TensorPlan &t = last.tensors[j];
        if (t.dropped) continue;
        std::vector<std::string> groups = f.groups;
        mergeGroups(groups, t.groups);
        if (f.recipe < 0) {
            TensorPlan &out = plan.tensors[size_t(f.origin)];
            out.name = names.storeName(t.name);
            out.dropped = false;
            out.frozen = t.frozen;
            out.groups = groupList(std::move(groups));
            out.dtype = t.dtype;
            out.renamed = out.name != inputs[size_t(f.origin)].name;
            out.resizedBy = t.resizedBy >= 0 ? t.resizedBy : f.resizedBy;
            out.consumedBy = -1;
            claim(out.name, -1);
            continue;
        }
        AddedTensor a;
        a.name = std::string(t.name);
        a.rule = f.madeBy;
        a.recipe = f.recipe;
        a.dtype = t.dtype;
        a.shape = t.resizedBy >= 0 ? m_set.rules[size_t(t.resizedBy)].shape : f.shape;
        if (t.dtype != f.dtype || t.resizedBy >= 0) a.recipe = s.edit(f.recipe, t.resizedBy, a.dtype, a.shape);
        a.frozen = t.frozen;
        a.groups = std::move(groups);
        plan.added.push_back(std::move(a));
    }
    for (auto &a : last.added) plan.added.push_back(std::move(a)); // add rules' tensors
    for (const auto &a : plan.added) claim(a.name, a.recipe >= 0 ? a.rule : -1);
    names.moveInto(*storage);
    plan.storage = std::move(storage);
    *book = std::move(s.book);
    plan.recipes = std::move(book);
    return plan;
}

std::vector<bool> SurgeryProgram::selectedBy(size_t rule, const std::vector<PlanInput> &inputs) const
{
    if (!m_segments.empty() && (m_segments[0]->surgery < 0 || rule < size_t(m_segments[0]->surgery)))
        return m_segments[0]->perTensor->selectedBy(rule, inputs);
    const Plan plan = evaluate(inputs, std::nullopt);
    std::vector<bool> out(inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) out[i] = plan.tensors[i].consumedBy == int(rule);
    return out;
}

} // namespace ckpt
