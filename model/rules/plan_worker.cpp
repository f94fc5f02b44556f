#include "model/rules/plan_worker.h"

#include "model/base/name_bytes.h"

#include <algorithm>
#include <functional>

namespace ckpt {
namespace {

/// Calls fn(i) for every set bit i.
template <typename Fn> void forEachBit(uint64_t bits, Fn &&fn)
{
    for (; bits; bits &= bits - 1) fn(__builtin_ctzll(bits));
}

} // namespace

PlanWorker::PlanWorker(const std::vector<CompiledRule> &rules)
    : outcomes(rules.size()), visible(rules.size(), 0), m_rules(rules), m_selected(rules.size())
{
    for (size_t k = 0; k < rules.size(); ++k) {
        const Rule &r = *rules[k].rule;
        if (!r.enabled || r.action == Rule::Action::Add || isSurgery(r.action)) continue;
        m_active.push_back(k);
        if (r.action == Rule::Action::Group) m_groupRules.push_back(k);
    }
    m_groupKey.resize((m_groupRules.size() + 63) / 64);
}

template <typename Fn> void PlanWorker::forEachBlock(size_t n, std::atomic<size_t> &next, Fn &&fn)
{
    constexpr size_t kChunk = 2048; // a multiple of kBlock: blocks start at multiples of 64
    for (size_t begin; (begin = next.fetch_add(kChunk)) < n;)
        for (size_t b = begin, end = std::min(n, begin + kChunk); b < end; b += kBlock)
            fn(b, int(std::min<size_t>(kBlock, end - b)));
}

void PlanWorker::run(const std::vector<PlanInput> &inputs, std::atomic<size_t> &next, Plan &plan,
                     std::vector<int> *renamedBy, std::vector<uint64_t> *hashes)
{
    forEachBlock(inputs.size(), next, [&](size_t b, int count) {
        runBlock(inputs.data() + b, count, plan.tensors.data() + b, renamedBy ? renamedBy->data() + b : nullptr,
                 hashes ? hashes->data() + b : nullptr);
    });
}

void PlanWorker::runUpTo(const std::vector<PlanInput> &inputs, std::atomic<size_t> &next, size_t rule,
                         std::vector<uint64_t> &selected)
{
    forEachBlock(inputs.size(), next, [&](size_t b, int count) {
        applyRules(inputs.data() + b, count, rule);
        selected[b / kBlock] = rule < m_selected.size() ? m_selected[rule] : 0;
    });
}

void PlanWorker::applyRules(const PlanInput *inputs, int count, size_t last)
{
    const uint64_t all = count == kBlock ? ~uint64_t(0) : (uint64_t(1) << count) - 1;
    for (int i = 0; i < count; ++i) {
        m_names[size_t(i)] = inputs[i].name;
        m_dtypes[size_t(i)] = inputs[i].dtype;
    }
    m_lastFreeze.fill(-1);
    m_lastCast.fill(-1);
    m_renamedBy.fill(-1);
    m_resizedBy.fill(-1);
    m_next.fill(0);
    m_dropped = m_frozen = m_renamed = 0;
    for (int i = 0; i < count; ++i) m_frozen |= uint64_t(inputs[i].frozen) << i;
    std::fill(m_selected.begin(), m_selected.end(), 0);

    for (size_t k : m_active) {
        if (k > last) break;
        const CompiledRule &c = m_rules[k];
        const Rule &r = *c.rule;
        uint64_t selected = all & ~m_dropped; // a dropped tensor is seen by no later rule
        if (c.match && selected) selected = selectTensors(*c.match, inputs, m_names.data(), selected);
        const int index = int(k);
        switch (r.action) {
        case Rule::Action::Rename:
            selected = rename(c, selected);
            forEachBit(selected, [&](int i) { m_renamedBy[size_t(i)] = index; });
            break;
        case Rule::Action::Freeze:
        case Rule::Action::Unfreeze:
            m_frozen = r.action == Rule::Action::Freeze ? m_frozen | selected : m_frozen & ~selected;
            forEachBit(selected, [&](int i) { m_lastFreeze[size_t(i)] = index; });
            break;
        case Rule::Action::Drop: m_dropped |= selected; break;
        case Rule::Action::Cast:
            forEachBit(selected, [&](int i) {
                m_dtypes[size_t(i)] = r.castTo;
                m_lastCast[size_t(i)] = index;
            });
            break;
        case Rule::Action::Resize: forEachBit(selected, [&](int i) { m_resizedBy[size_t(i)] = index; }); break;
        case Rule::Action::Group: // the selection is the membership
        default: break;            // add and surgery rules are not run here
        }
        m_selected[k] = selected;
    }
}

void PlanWorker::runBlock(const PlanInput *inputs, int count, TensorPlan *plans, int *renamedBy, uint64_t *hashes)
{
    applyRules(inputs, count, SIZE_MAX);
    for (size_t k : m_active) {
        const uint64_t selected = m_selected[k];
        if (!selected) continue;
        RuleOutcome &o = outcomes[k];
        o.tensors += size_t(__builtin_popcountll(selected));
        forEachBit(selected, [&](int i) {
            o.parameters += inputs[i].numel;
            o.bytes += inputs[i].bytes;
        });
        noteVisible(k, selected);
    }

    for (int i = 0; i < count; ++i) {
        const size_t u = size_t(i);
        const uint64_t bit = uint64_t(1) << i;
        TensorPlan &t = plans[i];
        t.dropped = m_dropped & bit;
        t.dtype = m_dtypes[u];
        t.renamed = m_renamed & bit;
        t.resizedBy = m_resizedBy[u];
        if (!t.dropped) {
            t.name = storage.storeName(m_names[u]);
            t.frozen = m_frozen & bit;
            t.groups = groupsOf(i);
        }
        if (renamedBy) renamedBy[i] = m_renamedBy[u];
        if (hashes) hashes[i] = hashName(t.name);
    }
}

uint64_t PlanWorker::rename(const CompiledRule &c, uint64_t selected)
{
    const Rule &r = *c.rule;
    uint64_t renamed = 0;
    forEachBit(selected, [&](int i) {
        const size_t u = size_t(i);
        const std::string_view name = m_names[u];
        if (!c.renameRegex && !startsWith(name, r.prefix)) return;
        if (!c.renameRegex && r.to.empty()) { // stripping a prefix: the rest of the name is the new name
            m_names[u] = name.substr(r.prefix.size());
            m_renamed |= uint64_t(!r.prefix.empty()) << i;
            renamed |= uint64_t(1) << i;
            return;
        }
        std::string &out = m_buffers[m_next[u]][u];
        if (c.renameRegex) {
            if (!substitute(*c.renameRegex, *c.replacement, name, out)) return;
        } else {
            out.assign(r.to);
            out.append(name.substr(r.prefix.size()));
        }
        m_renamed |= uint64_t(!sameName(out, name)) << i;
        m_names[u] = out;
        m_next[u] ^= 1;
        renamed |= uint64_t(1) << i;
    });
    return renamed;
}

/// Whether rule k shows in the result of a tensor it selected (a rule that shows in none
/// is "fully overridden by later rules").
void PlanWorker::noteVisible(size_t k, uint64_t selected)
{
    if (visible[k] || !selected) return;
    const uint64_t kept = selected & ~m_dropped;
    auto lastIs = [&](const std::array<int, kBlock> &last) {
        for (uint64_t bits = kept; bits; bits &= bits - 1)
            if (last[size_t(__builtin_ctzll(bits))] == int(k)) return true;
        return false;
    };
    switch (m_rules[k].rule->action) {
    case Rule::Action::Freeze:
    case Rule::Action::Unfreeze: visible[k] = lastIs(m_lastFreeze); break;
    case Rule::Action::Cast: visible[k] = lastIs(m_lastCast); break;
    case Rule::Action::Drop: visible[k] = true; break;
    case Rule::Action::Rename:
    case Rule::Action::Group: visible[k] = kept != 0; break;
    case Rule::Action::Resize: visible[k] = lastIs(m_resizedBy); break;
    default: break;
    }
}

/// The tensor's groups in the order the rules added them, one list per combination.
std::span<const std::string> PlanWorker::groupsOf(int i)
{
    if (m_groupRules.empty()) return {};
    std::fill(m_groupKey.begin(), m_groupKey.end(), 0);
    bool any = false;
    for (size_t j = 0; j < m_groupRules.size(); ++j)
        if (m_selected[m_groupRules[j]] >> i & 1) {
            m_groupKey[j / 64] |= uint64_t(1) << (j % 64);
            any = true;
        }
    if (!any) return {};
    if (auto known = storage.groupList(m_groupKey)) return *known;
    std::vector<std::string> groups;
    for (size_t j = 0; j < m_groupRules.size(); ++j) {
        if (!(m_groupKey[j / 64] >> (j % 64) & 1)) continue;
        const std::string &g = m_rules[m_groupRules[j]].rule->group;
        if (std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
    }
    return storage.addGroupList(m_groupKey, std::move(groups));
}

} // namespace ckpt
