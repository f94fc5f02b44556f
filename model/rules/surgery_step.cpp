#include "model/rules/surgery_step.h"

#include <stdexcept>

namespace ckpt::surgery {
namespace {

Regex regexFor(const std::string &pattern, const std::string &field)
{
    auto re = Regex::create(pattern, {});
    if (!re) throw std::runtime_error(field + ": invalid regular expression: " + re.error().message);
    return std::move(*re);
}

Replacement replacementFor(const std::string &to, const Regex &re, const std::string &field)
{
    auto out = Replacement::parse(to, re);
    if (!out) throw std::runtime_error(field + ": " + out.error().message);
    return std::move(*out);
}

} // namespace

CompiledSurgery compileSurgery(const Rule &r, const RuleSet &set, int index)
{
    const std::string field = "rules[" + std::to_string(index) + "]";
    CompiledSurgery c;
    c.base = compileRule(r, set, field);
    c.index = index;
    if (r.action == Rule::Action::Take) {
        if (!r.regex.empty()) {
            c.regex = regexFor(r.regex, field + ".regex");
            c.to = replacementFor(r.to, *c.regex, field + ".to");
        }
        return c;
    }
    if (r.match && r.match->kind == Matcher::Kind::Regex) c.regex = regexFor(r.match->text, field + ".match.regex");
    const bool grouped = r.action == Rule::Action::Stack || r.action == Rule::Action::Concat;
    if (grouped && !c.regex) throw std::runtime_error(field + ".match: a " + std::string(actionName(r.action)) +
                                                      " groups names by a regex: give {\"regex\": ...}");
    if (c.regex) {
        if (!r.to.empty()) c.to = replacementFor(r.to, *c.regex, field + ".to");
        if (!r.key.empty()) c.key = replacementFor(r.key, *c.regex, field + ".key");
        for (size_t p = 0; p < r.parts.size(); ++p)
            c.parts.push_back(replacementFor(r.parts[p].to, *c.regex, field + ".parts[" + std::to_string(p) + "].to"));
    }
    return c;
}

int SurgeryState::operand(const FlowTensor &f)
{
    if (f.recipe >= 0) return f.recipe;
    const PlanInput &in = inputs[size_t(f.origin)];
    const int step = read(0, in);
    if (f.dtype == in.dtype && f.resizedBy < 0) return step;
    return edit(step, f.resizedBy, f.dtype, f.shape);
}

int SurgeryState::edit(int operand, int resizeRule, DType dtype, const std::vector<int64_t> &shape)
{
    RecipeStep step;
    step.op = RecipeStep::Op::Edit;
    step.operands = {operand};
    step.rule = resizeRule;
    step.dtype = dtype;
    step.shape = shape;
    return book.add(std::move(step));
}

int SurgeryState::read(int source, const PlanInput &in)
{
    RecipeStep step;
    step.op = RecipeStep::Op::Read;
    step.source = source;
    step.entry = in.entry;
    step.name = in.name;
    step.dtype = in.dtype;
    step.shape = in.shape;
    return book.add(std::move(step));
}

const OpenedSource *SurgeryState::source(int k, const std::string &name, int *index)
{
    const OpenedSource *found = sources.find(name, index);
    if (!found) error(k, "no source named '" + name + "' in \"sources\"");
    return found;
}

void SurgeryState::remake(FlowTensor &f, int k, RecipeStep step)
{
    consume(f, k);
    count(k, f.shape, f.dtype);
    f.shape = step.shape;
    f.recipe = book.add(std::move(step));
    f.origin = -1;
    f.madeBy = k;
}

void SurgeryState::consume(const FlowTensor &f, int k)
{
    if (f.recipe < 0 && f.origin >= 0) consumedBy[size_t(f.origin)] = k;
}

void SurgeryState::error(int k, const std::string &message)
{
    diagnostics.push_back({Diagnostic::Severity::Error, k,
                           "rule " + std::to_string(k) + " (" + std::string(actionName(set.rules[size_t(k)].action)) +
                               "): " + message});
}

void SurgeryState::count(int k, const std::vector<int64_t> &shape, DType dtype)
{
    RuleOutcome &o = outcomes[size_t(k)];
    ++o.tensors;
    o.parameters += numelOf(shape);
    o.bytes += (uint64_t(numelOf(shape)) * uint64_t(dtypeBits(dtype)) + 7) / 8;
}

void eachSelected(const CompiledSurgery &c, SurgeryState &s, const std::function<void(FlowTensor &)> &remake)
{
    const std::vector<bool> selected = selectFlows(c, s.flows);
    for (size_t i = 0; i < s.flows.size(); ++i)
        if (selected[i]) remake(s.flows[i]);
}

std::vector<bool> selectFlows(const CompiledSurgery &c, const std::vector<FlowTensor> &flows)
{
    std::vector<bool> out(flows.size(), !c.base.match);
    if (!c.base.match) return out;
    PlanInput inputs[64];
    std::string_view names[64];
    for (size_t b = 0; b < flows.size(); b += 64) {
        const size_t n = std::min<size_t>(64, flows.size() - b);
        for (size_t i = 0; i < n; ++i) {
            const FlowTensor &f = flows[b + i];
            inputs[i].name = f.name;
            inputs[i].dtype = f.dtype;
            inputs[i].shape = f.shape;
            inputs[i].numel = numelOf(f.shape);
            names[i] = f.name;
        }
        const uint64_t all = n == 64 ? ~uint64_t(0) : (uint64_t(1) << n) - 1;
        const uint64_t bits = selectTensors(*c.base.match, inputs, names, all);
        for (size_t i = 0; i < n; ++i) out[b + i] = bits >> i & 1;
    }
    return out;
}

std::string renamed(const CompiledSurgery &c, const Replacement *to, const std::string &literal, const std::string &name)
{
    if (!c.regex || !to) return literal;
    std::string out;
    return substitute(*c.regex, *to, name, out) ? out : name;
}

int64_t numelOf(const std::vector<int64_t> &shape)
{
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

std::optional<int64_t> normalAxis(int64_t axis, size_t ndim)
{
    const int64_t n = int64_t(ndim);
    if (axis < -n || axis >= n) return std::nullopt;
    return axis < 0 ? axis + n : axis;
}

} // namespace ckpt::surgery
