#include "model/rules/surgery_step.h"

#include "model/checkpoint/checkpoint_summary.h"

#include <algorithm>
#include <map>
#include <set>

// stack and concat: tensors whose names map to one `to` become one tensor, in the order of
// their `key`.
namespace ckpt::surgery {
namespace {

bool isInteger(const std::string &text)
{
    return !text.empty() && text.size() < 18 && std::all_of(text.begin(), text.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

struct Member
{
    std::string key;
    size_t flow;
};

/// The members in key order, or an error: keys complete (0..N-1, or all of `order`) and unique.
std::optional<std::vector<Member>> ordered(const Rule &r, const std::string &to, std::vector<Member> members,
                                           std::string &problem)
{
    std::map<std::string, size_t> byKey;
    for (const auto &m : members)
        if (!byKey.emplace(m.key, m.flow).second) {
            problem = to + ": key '" + m.key + "' twice";
            return std::nullopt;
        }
    std::vector<Member> out;
    if (!r.order.empty()) {
        for (const auto &key : r.order) {
            const auto it = byKey.find(key);
            if (it == byKey.end()) {
                problem = to + ": no tensor for key '" + key + "' of \"order\"";
                return std::nullopt;
            }
            out.push_back({key, it->second});
            byKey.erase(it);
        }
        if (!byKey.empty()) {
            problem = to + ": key '" + byKey.begin()->first + "' is not in \"order\"";
            return std::nullopt;
        }
        return out;
    }
    for (const auto &m : members)
        if (!isInteger(m.key)) {
            problem = to + ": key '" + m.key + "' is not an integer; give \"order\"";
            return std::nullopt;
        }
    std::sort(members.begin(), members.end(), [](const Member &a, const Member &b) { return std::stoll(a.key) < std::stoll(b.key); });
    for (size_t i = 0; i < members.size(); ++i)
        if (std::stoll(members[i].key) != int64_t(i)) {
            problem = to + ": key " + std::to_string(i) + " is missing (keys must run 0.." +
                      std::to_string(members.size() - 1) + ")";
            return std::nullopt;
        }
    return members;
}

} // namespace

void stackOrConcat(const CompiledSurgery &c, SurgeryState &s)
{
    const Rule &r = *c.base.rule;
    const int k = c.index;
    const bool stack = r.action == Rule::Action::Stack;
    const std::vector<bool> selected = selectFlows(c, s.flows);
    std::vector<std::string> groupOrder;
    std::map<std::string, std::vector<Member>> groups;
    for (size_t i = 0; i < s.flows.size(); ++i) {
        if (!selected[i]) continue;
        const std::string to = renamed(c, c.to ? &*c.to : nullptr, r.to, s.flows[i].name);
        Regex::Span spans[Regex::kMaxGroups];
        std::string key;
        if (c.regex->find(s.flows[i].name, 0, std::span<Regex::Span>(spans, c.key->groupsNeeded())))
            c.key->appendTo(key, s.flows[i].name, std::span<const Regex::Span>(spans, c.key->groupsNeeded()));
        auto &members = groups[to];
        if (members.empty()) groupOrder.push_back(to);
        members.push_back({key, i});
    }
    std::vector<bool> removed(s.flows.size());
    std::map<size_t, FlowTensor> madeAt; // by the flow index of the group's first member
    for (const auto &to : groupOrder) {
        std::string problem;
        auto members = ordered(r, to, groups[to], problem);
        if (!members) {
            s.error(k, problem);
            continue;
        }
        const FlowTensor &first = s.flows[(*members)[0].flow];
        const auto axis = normalAxis(r.axis, first.shape.size() + (stack ? 1 : 0));
        if (!axis) {
            s.error(k, to + ": axis " + std::to_string(r.axis) + " does not exist for " + shapeText(first.shape));
            continue;
        }
        std::vector<int64_t> shape = first.shape;
        bool ok = true;
        int64_t joined = 0;
        for (const auto &m : *members) {
            const FlowTensor &f = s.flows[m.flow];
            bool same = f.dtype == first.dtype && f.shape.size() == first.shape.size();
            for (size_t d = 0; same && d < f.shape.size(); ++d)
                same = f.shape[d] == first.shape[d] || (!stack && int64_t(d) == *axis);
            if (!same) {
                s.error(k, to + ": " + f.name + " is " + shapeText(f.shape) + " " + std::string(dtypeName(f.dtype)) +
                               ", " + first.name + " " + shapeText(first.shape) + " " + std::string(dtypeName(first.dtype)) +
                               (stack ? "; stacked tensors must agree" : "; joined tensors must agree but along the axis"));
                ok = false;
                break;
            }
            if (!stack) joined += f.shape[size_t(*axis)];
        }
        if (!ok) continue;
        if (stack) shape.insert(shape.begin() + *axis, int64_t(members->size()));
        else shape[size_t(*axis)] = joined;
        RecipeStep step;
        step.op = stack ? RecipeStep::Op::Stack : RecipeStep::Op::Concat;
        step.axis = *axis;
        step.dtype = first.dtype;
        step.shape = shape;
        FlowTensor made;
        made.frozen = true;
        for (const auto &m : *members) {
            const FlowTensor &f = s.flows[m.flow];
            step.operands.push_back(s.operand(f));
            s.consume(f, k);
            s.count(k, f.shape, f.dtype);
            made.frozen = made.frozen && f.frozen;
            for (const auto &g : f.groups)
                if (std::find(made.groups.begin(), made.groups.end(), g) == made.groups.end()) made.groups.push_back(g);
            removed[m.flow] = true;
        }
        made.name = to;
        made.dtype = first.dtype;
        made.shape = shape;
        made.recipe = s.book.add(std::move(step));
        made.madeBy = k;
        size_t at = SIZE_MAX;
        for (const auto &m : *members) at = std::min(at, m.flow);
        madeAt.emplace(at, std::move(made));
    }
    std::vector<FlowTensor> flows;
    for (size_t i = 0; i < s.flows.size(); ++i) {
        if (auto it = madeAt.find(i); it != madeAt.end()) flows.push_back(std::move(it->second));
        if (!removed[i]) flows.push_back(std::move(s.flows[i]));
    }
    s.flows = std::move(flows);
}

} // namespace ckpt::surgery
