#include "model/rules/rule_preview.h"

namespace ckpt {

PreviewBase::PreviewBase(const RuleSet &rules, size_t position, const std::vector<PlanInput> &inputs)
    : m_position(std::min(position, rules.rules.size())), m_context(rules)
{
    m_context.rules.resize(m_position);
    m_context.schedule.clear();
    // The rules before the edited one, evaluated once. A prefix that does not compile (an
    // invalid rule being fixed elsewhere) leaves the names as they are, as the plan shows them.
    Plan before;
    if (auto compiled = CompiledRules::compile(m_context)) before = (*compiled)->evaluate(inputs);
    m_context.rules.clear();
    m_seen.reserve(inputs.size());
    m_dropped.assign(inputs.size(), false);
    for (size_t i = 0; i < inputs.size(); ++i) {
        PlanInput seen; // what matchers read: the name the rules made, and the tensor's own facts
        const bool planned = i < before.tensors.size();
        seen.name = planned && !before.tensors[i].dropped ? std::string(before.tensors[i].name) : inputs[i].name;
        seen.dtype = inputs[i].dtype;
        seen.shape = inputs[i].shape;
        seen.numel = inputs[i].numel;
        seen.bytes = inputs[i].bytes;
        seen.entry = inputs[i].entry;
        m_dropped[i] = planned && before.tensors[i].dropped;
        m_seen.push_back(std::move(seen));
    }
}

Result<RulePreview> PreviewBase::preview(const Rule &candidate) const
{
    RuleSet one = m_context;
    Rule enabled = candidate;
    enabled.enabled = true;
    one.rules.push_back(std::move(enabled));
    auto compiled = CompiledRules::compile(one);
    if (!compiled) return compiled.error();
    RulePreview p;
    p.selected = (*compiled)->selectedBy(0, m_seen);
    if (isSurgery(candidate.action)) {
        Plan plan = (*compiled)->evaluate(m_seen);
        p.made = std::move(plan.added);
        p.recipes = std::move(plan.recipes);
    }
    for (size_t i = 0; i < m_seen.size(); ++i) {
        if (m_dropped[i]) p.selected[i] = false; // a dropped tensor is seen by no later rule
        if (!p.selected[i]) continue;
        ++p.tensors;
        p.parameters += m_seen[i].numel;
    }
    return p;
}

Result<RulePreview> previewRule(const RuleSet &rules, size_t position, const Rule &candidate,
                                const std::vector<PlanInput> &inputs)
{
    return PreviewBase(rules, position, inputs).preview(candidate);
}

} // namespace ckpt
