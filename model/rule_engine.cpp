#include "rule_engine.h"

#include "name_matcher.h"
#include "target_architecture.h"
#include "tensor_resize.h"

#include <re2/re2.h>

#include <algorithm>
#include <functional>
#include <map>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace ckpt {
namespace {

struct CompiledMatcher
{
    Matcher::Kind kind = Matcher::Kind::Glob;
    const Matcher *source = nullptr;
    std::vector<NameMatcher> globs;        // glob, alias
    std::shared_ptr<RE2> regex;            // regex
    std::vector<CompiledMatcher> children; // all, any, not
    std::shared_ptr<const ModuleTypes> types; // type
};

struct CompiledRule
{
    const Rule *rule = nullptr;
    std::optional<CompiledMatcher> match;
    std::shared_ptr<RE2> renameRegex;
    std::string rewrite; // RE2 spelling of the replacement
};

std::shared_ptr<RE2> compileRegex(const std::string &pattern, const std::string &field)
{
    RE2::Options options;
    options.set_log_errors(false);
    options.set_dot_nl(false);
    auto re = std::make_shared<RE2>(pattern, options);
    if (!re->ok()) throw std::runtime_error(field + ": invalid regular expression: " + re->error());
    return re;
}

NameMatcher compileGlob(const std::string &glob, const std::string &field)
{
    // Python refuses the same globs ("[z-a]": bad character range).
    auto m = NameMatcher::create(NameMatcher::Mode::Glob, glob);
    if (!m) throw std::runtime_error(field + ": '" + glob + "': " + m.error().message);
    return std::move(m.value());
}

CompiledMatcher compileMatcher(const Matcher &m, const RuleSet &set, const std::string &field)
{
    CompiledMatcher c;
    c.kind = m.kind;
    c.source = &m;
    switch (m.kind) {
    case Matcher::Kind::Glob: c.globs.push_back(compileGlob(m.text, field + ".glob")); break;
    case Matcher::Kind::Regex: c.regex = compileRegex(m.text, field + ".regex"); break;
    case Matcher::Kind::Alias: {
        const auto it = std::find_if(set.aliases.begin(), set.aliases.end(),
                                     [&](const auto &a) { return a.first == m.text; });
        if (it == set.aliases.end())
            throw std::runtime_error(field + ".alias: no alias named '" + m.text + "'");
        for (const auto &glob : it->second) c.globs.push_back(compileGlob(glob, field + ".alias"));
        break;
    }
    case Matcher::Kind::Type: {
        if (set.types.empty())
            throw std::runtime_error(field + ".type: the config needs \"types\": a TorchScript archive or a manifest "
                                             "with module_type that names the module classes");
        auto types = moduleTypes(set.types);
        if (!types) throw std::runtime_error("types: " + set.types + ": " + types.error().message);
        c.types = *types;
        break;
    }
    case Matcher::Kind::All:
    case Matcher::Kind::Any:
    case Matcher::Kind::Not: {
        const char *key = m.kind == Matcher::Kind::All ? ".all" : m.kind == Matcher::Kind::Any ? ".any" : ".not";
        for (size_t i = 0; i < m.children.size(); ++i)
            c.children.push_back(compileMatcher(m.children[i], set,
                                                field + key + (m.kind == Matcher::Kind::Not ? "" : "[" + std::to_string(i) + "]")));
        break;
    }
    default: break;
    }
    return c;
}

bool matches(const CompiledMatcher &c, const PlanInput &t, std::string_view name)
{
    const Matcher &m = *c.source;
    switch (c.kind) {
    case Matcher::Kind::Glob:
    case Matcher::Kind::Alias:
        return std::any_of(c.globs.begin(), c.globs.end(), [&](const NameMatcher &g) { return g.matches(name); });
    case Matcher::Kind::Regex: return RE2::PartialMatch(name, *c.regex);
    case Matcher::Kind::Name: return name == m.text;
    case Matcher::Kind::Prefix: return name.starts_with(m.text);
    case Matcher::Kind::Suffix: return name.ends_with(m.text);
    case Matcher::Kind::Module:
        return name == m.text || (name.size() > m.text.size() && name.starts_with(m.text) &&
                                  name[m.text.size()] == '.');
    case Matcher::Kind::Type: {
        const auto it = c.types->find(std::string(moduleOfName(name)));
        return it != c.types->end() && it->second == m.text;
    }
    case Matcher::Kind::Ndim: return int64_t(t.shape.size()) == m.ndim;
    case Matcher::Kind::Dtype: return t.dtype == m.dtype;
    case Matcher::Kind::Shape:
        if (t.shape.size() != m.shape.size()) return false;
        for (size_t i = 0; i < m.shape.size(); ++i)
            if (m.shape[i] && *m.shape[i] != t.shape[i]) return false;
        return true;
    case Matcher::Kind::Numel:
        return (!m.min || t.numel >= *m.min) && (!m.max || t.numel <= *m.max);
    case Matcher::Kind::All:
        return std::all_of(c.children.begin(), c.children.end(), [&](const auto &ch) { return matches(ch, t, name); });
    case Matcher::Kind::Any:
        return std::any_of(c.children.begin(), c.children.end(), [&](const auto &ch) { return matches(ch, t, name); });
    case Matcher::Kind::Not: return !c.children.empty() && !matches(c.children.front(), t, name);
    }
    return false;
}

/// Python's re.sub replacement ("\1", "\g<1>", "\\") in RE2's spelling.
std::string rewriteFor(const std::string &to, const std::string &field)
{
    std::string out;
    for (size_t i = 0; i < to.size(); ++i) {
        if (to[i] != '\\' || i + 1 == to.size()) {
            out += to[i];
            continue;
        }
        const char next = to[i + 1];
        if (next == 'g' && i + 2 < to.size() && to[i + 2] == '<') {
            const auto close = to.find('>', i + 3);
            const std::string group = close == std::string::npos ? "" : to.substr(i + 3, close - i - 3);
            if (group.size() != 1 || !std::isdigit(static_cast<unsigned char>(group[0])))
                throw std::runtime_error(field + ": only \\g<0> to \\g<9> are supported");
            out += '\\';
            out += group;
            i = close;
        } else {
            out += '\\';
            out += next;
            ++i;
        }
    }
    return out;
}

CompiledRule compileRule(const Rule &r, const RuleSet &set, const std::string &field)
{
    CompiledRule c;
    c.rule = &r;
    if (r.match) c.match = compileMatcher(*r.match, set, field + ".match");
    if (r.action == Rule::Action::Rename && !r.regex.empty()) {
        c.renameRegex = compileRegex(r.regex, field + ".regex");
        c.rewrite = rewriteFor(r.to, field + ".to");
        std::string error;
        if (!c.renameRegex->CheckRewriteString(c.rewrite, &error))
            throw std::runtime_error(field + ".to: " + error);
    }
    return c;
}

} // namespace

struct CompiledRules::Impl
{
    RuleSet set;
    std::vector<CompiledRule> rules;
    std::vector<std::vector<CompiledRule>> stages;

    /// Whether rule c selects tensor t under its current name; for a rename, also the new name.
    static bool select(const CompiledRule &c, const PlanInput &t, std::string_view name, std::string *renamed)
    {
        if (c.match && !matches(*c.match, t, name)) return false;
        const Rule &r = *c.rule;
        if (r.action != Rule::Action::Rename) return true;
        if (c.renameRegex) return substitute(*c.renameRegex, c.rewrite, name, renamed);
        if (!name.starts_with(r.prefix)) return false;
        if (renamed) {
            renamed->assign(r.to);
            renamed->append(name.substr(r.prefix.size()));
        }
        return true;
    }

    /// Python's re.sub in one pass: false when nothing matches; otherwise *out (reused, no
    /// allocation once warm) receives every non-overlapping match replaced.
    static bool substitute(const RE2 &re, const std::string &rewrite, std::string_view text, std::string *out)
    {
        constexpr int kMaxGroups = 10;
        re2::StringPiece groups[kMaxGroups];
        const int n = std::min(kMaxGroups, re.NumberOfCapturingGroups() + 1);
        size_t pos = 0;
        bool any = false;
        if (out) out->clear();
        while (pos <= text.size() &&
               re.Match(re2::StringPiece(text.data(), text.size()), pos, text.size(), RE2::UNANCHORED, groups, n)) {
            const size_t begin = size_t(groups[0].data() - text.data());
            const size_t end = begin + groups[0].size();
            any = true;
            if (!out) return true;
            out->append(text.substr(pos, begin - pos));
            re.Rewrite(out, rewrite, groups, n);
            if (end == begin) { // an empty match: keep the next character and move past it
                if (end < text.size()) out->push_back(text[end]);
                pos = end + 1;
            } else {
                pos = end;
            }
        }
        if (out && any && pos < text.size()) out->append(text.substr(pos));
        return any;
    }
};

CompiledRules::CompiledRules(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
CompiledRules::~CompiledRules() = default;
const RuleSet &CompiledRules::rules() const { return m_impl->set; }

Result<std::shared_ptr<const CompiledRules>> CompiledRules::compile(const RuleSet &set)
{
    auto impl = std::make_unique<Impl>();
    impl->set = set;
    try {
        for (size_t i = 0; i < impl->set.rules.size(); ++i)
            impl->rules.push_back(compileRule(impl->set.rules[i], impl->set, "rules[" + std::to_string(i) + "]"));
        for (size_t s = 0; s < impl->set.schedule.size(); ++s) {
            std::vector<CompiledRule> stage;
            for (size_t i = 0; i < impl->set.schedule[s].rules.size(); ++i)
                stage.push_back(compileRule(impl->set.schedule[s].rules[i], impl->set,
                                            "schedule[" + std::to_string(s) + "].rules[" + std::to_string(i) + "]"));
            impl->stages.push_back(std::move(stage));
        }
    } catch (const std::runtime_error &e) {
        return Error{e.what()};
    }
    return std::shared_ptr<const CompiledRules>(new CompiledRules(std::move(impl)));
}

bool CompiledRules::ruleMatches(size_t rule, const PlanInput &input, std::string_view name) const
{
    return rule < m_impl->rules.size() && Impl::select(m_impl->rules[rule], input, name, nullptr);
}

namespace {

/// The add rules' tensors, and what keeps the plan from being written: resizes a tensor
/// cannot take, added names that are already taken.
void addTensors(const RuleSet &set, const std::vector<PlanInput> &inputs, Plan &plan, std::vector<bool> &visible)
{
    for (size_t i = 0; i < inputs.size(); ++i) {
        const TensorPlan &t = plan.tensors[i];
        if (t.dropped || t.resizedBy < 0) continue;
        const Rule &r = set.rules[size_t(t.resizedBy)];
        if (const std::string problem = resizeProblem(r, inputs[i].shape, inputs[i].dtype); !problem.empty())
            plan.diagnostics.push_back({Diagnostic::Severity::Error, t.resizedBy,
                                        "rule " + std::to_string(t.resizedBy) + " cannot resize " + t.name + ": " + problem});
    }
    std::unordered_set<std::string_view> taken;
    bool any = false;
    for (size_t k = 0; k < set.rules.size(); ++k) any = any || (set.rules[k].enabled && set.rules[k].action == Rule::Action::Add);
    if (!any) return;
    for (const auto &t : plan.tensors)
        if (!t.dropped) taken.insert(t.name);
    for (size_t k = 0; k < set.rules.size(); ++k) {
        const Rule &r = set.rules[k];
        if (!r.enabled || r.action != Rule::Action::Add) continue;
        plan.rules[k].tensors = 1;
        int64_t numel = 1;
        for (int64_t d : r.shape) numel *= d;
        plan.rules[k].parameters = numel;
        plan.rules[k].bytes = (uint64_t(numel) * uint64_t(dtypeBits(r.castTo)) + 7) / 8;
        visible[k] = true;
        if (!taken.insert(r.name).second) {
            plan.diagnostics.push_back({Diagnostic::Severity::Error, int(k),
                                        "rule " + std::to_string(k) + " adds " + r.name + ", a name already taken"});
            continue;
        }
        plan.added.push_back({r.name, int(k)});
    }
}

/// Per-tensor bookkeeping beside the TensorPlan, for the diagnostics.
struct Trace
{
    int lastFreeze = -1;
    int lastCast = -1;
    int renamedBy = -1;
};

} // namespace

Plan CompiledRules::evaluate(const std::vector<PlanInput> &inputs, std::optional<int64_t> step) const
{
    const Impl &d = *m_impl;
    const size_t n = inputs.size();
    const size_t ruleCount = d.rules.size();
    const size_t words = (ruleCount + 63) / 64;
    Plan plan;
    plan.tensors.resize(n);
    plan.rules.resize(ruleCount);
    std::vector<Trace> traces(n);
    std::vector<uint64_t> selectedBy(n * words, 0); ///< tensor i, bit k: rule k selected it

    // Later stages of the schedule, in step order, when a step is asked for.
    std::vector<const CompiledRule *> staged;
    if (step) {
        std::vector<size_t> order(d.stages.size());
        for (size_t s = 0; s < order.size(); ++s) order[s] = s;
        std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
            return d.set.schedule[a].step < d.set.schedule[b].step;
        });
        for (size_t s : order)
            if (d.set.schedule[s].step <= *step)
                for (const auto &c : d.stages[s])
                    if (c.rule->enabled) staged.push_back(&c);
    }

    auto applyOne = [&](const CompiledRule &c, int index, TensorPlan &t, Trace &trace, const PlanInput &in,
                        std::string &renamed) {
        const Rule &r = *c.rule;
        if (!Impl::select(c, in, t.name, r.action == Rule::Action::Rename ? &renamed : nullptr)) return false;
        switch (r.action) {
        case Rule::Action::Freeze:
        case Rule::Action::Unfreeze:
            t.frozen = r.action == Rule::Action::Freeze;
            trace.lastFreeze = index;
            break;
        case Rule::Action::Drop: t.dropped = true; break;
        case Rule::Action::Rename:
            t.renamed = t.renamed || renamed != t.name;
            t.name.swap(renamed);
            trace.renamedBy = index;
            break;
        case Rule::Action::Group:
            if (std::find(t.groups.begin(), t.groups.end(), r.group) == t.groups.end()) t.groups.push_back(r.group);
            break;
        case Rule::Action::Cast:
            t.dtype = r.castTo;
            trace.lastCast = index;
            break;
        case Rule::Action::Resize: t.resizedBy = index; break;
        case Rule::Action::Add: break; // creates a tensor; never selects one
        }
        return true;
    };

    // The collision check needs every final name's hash: the workers take them while the
    // names are hot in their caches.
    const bool anyRename = std::any_of(d.rules.begin(), d.rules.end(), [](const CompiledRule &c) {
        return c.rule->enabled && c.rule->action == Rule::Action::Rename;
    });
    std::vector<uint64_t> hashes(anyRename ? n : 0);

    // Each tensor goes through every rule on its own (rules only ever look at the tensor at
    // hand), so tensors are split across threads and each stays hot in cache.
    auto work = [&](size_t begin, size_t end, std::vector<RuleOutcome> &outcomes,
                    const std::vector<CompiledRule> &rules) {
        std::string renamed;
        for (size_t i = begin; i < end; ++i) {
            TensorPlan &t = plan.tensors[i];
            Trace &trace = traces[i];
            const PlanInput &in = inputs[i];
            t.name = in.name;
            t.dtype = in.dtype;
            for (size_t k = 0; k < ruleCount && !t.dropped; ++k) {
                if (!rules[k].rule->enabled || rules[k].rule->action == Rule::Action::Add ||
                    !applyOne(rules[k], int(k), t, trace, in, renamed))
                    continue;
                selectedBy[i * words + k / 64] |= uint64_t(1) << (k % 64);
                outcomes[k].tensors += 1;
                outcomes[k].parameters += in.numel;
                outcomes[k].bytes += in.bytes;
            }
            if (anyRename) hashes[i] = std::hash<std::string_view>{}(t.name);
        }
    };
    const size_t threads = n < 20000 ? 1 : std::min<size_t>(8, std::max(1u, std::thread::hardware_concurrency()));
    std::vector<std::vector<RuleOutcome>> partial(threads, std::vector<RuleOutcome>(ruleCount));
    {
        // RE2 serialises matches on one object through a lock around its cache: each worker
        // gets its own compiled copy of the rules (microseconds to make).
        std::vector<std::vector<CompiledRule>> copies(threads > 1 ? threads - 1 : 0);
        for (auto &copy : copies)
            for (size_t k = 0; k < ruleCount; ++k)
                copy.push_back(compileRule(d.set.rules[k], d.set, "rules[" + std::to_string(k) + "]"));
        std::vector<std::thread> pool;
        const size_t chunk = (n + threads - 1) / threads;
        for (size_t w = 1; w < threads; ++w)
            pool.emplace_back(work, std::min(n, w * chunk), std::min(n, (w + 1) * chunk), std::ref(partial[w]),
                              std::cref(copies[w - 1]));
        work(0, std::min(n, chunk), partial[0], d.rules);
        for (auto &th : pool) th.join();
    }
    for (const auto &p : partial)
        for (size_t k = 0; k < ruleCount; ++k) {
            plan.rules[k].tensors += p[k].tensors;
            plan.rules[k].parameters += p[k].parameters;
            plan.rules[k].bytes += p[k].bytes;
        }

    // Diagnostics of the rules as written (the schedule changes freezing later, by design).
    std::vector<bool> visible(ruleCount, false);
    for (size_t i = 0; i < n; ++i) {
        const TensorPlan &t = plan.tensors[i];
        const Trace &trace = traces[i];
        for (size_t k = 0; k < ruleCount; ++k) {
            if (!(selectedBy[i * words + k / 64] >> (k % 64) & 1) || visible[k]) continue;
            switch (d.rules[k].rule->action) {
            case Rule::Action::Freeze:
            case Rule::Action::Unfreeze: visible[k] = !t.dropped && trace.lastFreeze == int(k); break;
            case Rule::Action::Cast: visible[k] = !t.dropped && trace.lastCast == int(k); break;
            case Rule::Action::Drop: visible[k] = true; break;
            case Rule::Action::Rename:
            case Rule::Action::Group: visible[k] = !t.dropped; break;
            case Rule::Action::Resize: visible[k] = !t.dropped && t.resizedBy == int(k); break;
            case Rule::Action::Add: break;
            }
        }
    }
    addTensors(d.set, inputs, plan, visible);
    for (size_t k = 0; k < ruleCount; ++k) {
        const Rule &r = *d.rules[k].rule;
        if (!r.enabled) continue;
        if (plan.rules[k].tensors == 0)
            plan.diagnostics.push_back({Diagnostic::Severity::Error, int(k),
                                        "rule " + std::to_string(k) + " (" + describeRule(r) + ") matches no tensor"});
        else if (!visible[k])
            plan.diagnostics.push_back({Diagnostic::Severity::Warning, int(k),
                                        "rule " + std::to_string(k) + " (" + describeRule(r) +
                                            ") is fully overridden by later rules"});
    }
    // Collisions: one error per responsible rule, with its first example and a count. The
    // keys of a dict are unique, so without a rename rule there is nothing to check.
    // Open addressing; a slot holds the hash's high half and the tensor's index, so a probe
    // reads a name only when the hashes agree, and slots are prefetched ahead of use (100k
    // names on every keystroke).
    std::map<int, std::pair<std::string, size_t>> collisions;
    if (anyRename) {
        size_t capacity = 16;
        while (capacity < 2 * n) capacity *= 2;
        const size_t mask = capacity - 1;
        constexpr uint64_t kEmpty = UINT64_MAX, kHigh = 0xffffffff00000000ull;
        constexpr size_t kAhead = 16;
        std::vector<uint64_t> slots(capacity, kEmpty);
        for (size_t i = 0; i < n; ++i) {
            if (i + kAhead < n) __builtin_prefetch(&slots[hashes[i + kAhead] & mask]);
            const TensorPlan &t = plan.tensors[i];
            if (t.dropped) continue;
            const uint64_t tag = hashes[i] & kHigh;
            size_t slot = hashes[i] & mask;
            while (slots[slot] != kEmpty &&
                   ((slots[slot] & kHigh) != tag || plan.tensors[slots[slot] & ~kHigh].name != t.name))
                slot = (slot + 1) & mask;
            if (slots[slot] == kEmpty) {
                slots[slot] = tag | i;
                continue;
            }
            const size_t first = slots[slot] & ~kHigh;
            const int rule = traces[i].renamedBy >= 0 ? traces[i].renamedBy : traces[first].renamedBy;
            auto &[example, count] = collisions[rule];
            if (count++ == 0)
                example = inputs[first].name + " and " + inputs[i].name + " both become " + t.name;
        }
    }
    for (const auto &[rule, c] : collisions)
        plan.diagnostics.push_back({Diagnostic::Severity::Error, rule,
                                    "renames collide: " + c.first +
                                        (c.second > 1 ? " (and " + std::to_string(c.second - 1) + " more)" : "")});

    if (!staged.empty()) {
        std::string renamed;
        for (size_t i = 0; i < n; ++i)
            for (const CompiledRule *c : staged)
                if (!plan.tensors[i].dropped) applyOne(*c, -1, plan.tensors[i], traces[i], inputs[i], renamed);
    }
    for (auto &t : plan.tensors)
        if (t.dropped) {
            t.name.clear();
            t.frozen = false;
            t.groups.clear();
        }
    return plan;
}

Result<RulePreview> previewRule(const RuleSet &rules, size_t position, const Rule &candidate,
                                const std::vector<PlanInput> &inputs)
{
    RuleSet before = rules;
    before.rules.resize(std::min(position, rules.rules.size()));
    before.schedule.clear();
    RuleSet with = before;
    Rule enabled = candidate;
    enabled.enabled = true;
    with.rules.push_back(enabled);
    auto compiled = CompiledRules::compile(with);
    if (!compiled) return compiled.error();
    auto prefix = CompiledRules::compile(before);
    if (!prefix) return prefix.error();
    const Plan names = (*prefix)->evaluate(inputs);
    RulePreview p;
    p.selected.assign(inputs.size(), false);
    for (size_t i = 0; i < inputs.size(); ++i) {
        if (names.tensors[i].dropped || !(*compiled)->ruleMatches(with.rules.size() - 1, inputs[i], names.tensors[i].name))
            continue;
        p.selected[i] = true;
        ++p.tensors;
        p.parameters += inputs[i].numel;
    }
    return p;
}

std::optional<std::string> plannedModuleName(const std::vector<PlanInput> &inputs, const Plan &plan,
                                             const std::string &module)
{
    std::optional<std::string> found;
    for (size_t i = 0; i < inputs.size() && i < plan.tensors.size(); ++i) {
        const std::string &name = inputs[i].name;
        if (name.size() <= module.size() || !name.starts_with(module) || name[module.size()] != '.') continue;
        const TensorPlan &t = plan.tensors[i];
        if (t.dropped) continue;
        const std::string_view rest = std::string_view(name).substr(module.size()); // ".weight"
        if (!std::string_view(t.name).ends_with(rest)) return std::nullopt;
        const std::string renamed = t.name.substr(0, t.name.size() - rest.size());
        if (found && *found != renamed) return std::nullopt;
        found = renamed;
    }
    return found;
}

const std::vector<int64_t> &plannedShape(const std::vector<PlanInput> &inputs, const Plan &plan,
                                         const RuleSet &rules, size_t i)
{
    const int by = plan.tensors[i].resizedBy;
    return by >= 0 ? rules.rules[size_t(by)].shape : inputs[i].shape;
}

bool Plan::hasErrors() const
{
    return std::any_of(diagnostics.begin(), diagnostics.end(),
                       [](const Diagnostic &d) { return d.severity == Diagnostic::Severity::Error; });
}

Result<std::vector<PlanInput>> planInputs(const Checkpoint &c, const std::optional<Path> &weights)
{
    Path base;
    if (weights) base = *weights;
    else if (!c.weightsCandidates().empty()) base = c.weightsCandidates().front().path;
    else return Error{"no dict of tensors found; say where the weights are with \"weights\""};
    std::vector<PlanInput> out;
    for (const auto &e : c.entries()) {
        if (e.path.size() != base.size() + 1 || !std::equal(base.begin(), base.end(), e.path.begin()))
            continue;
        const auto *name = std::get_if<std::string>(&e.path.back());
        if (!name) continue;
        const TensorInfo &t = c.tensors()[size_t(e.tensor)];
        out.push_back({e.path, *name, t.dtype, t.shape, t.numel(), t.nbytes(), size_t(&e - c.entries().data())});
    }
    if (out.empty())
        return Error{"weights: no tensors at " + (base.empty() ? std::string("the root") : pathToString(base))};
    return out;
}

} // namespace ckpt
