#include "model/rules/rule_engine.h"

#include "model/rules/compiled_rule.h"
#include "model/base/name_bytes.h"
#include "model/rules/plan_worker.h"
#include "model/rules/rule_sources.h"
#include "model/rules/surgery_program.h"
#include "model/rules/tensor_resize.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_set>

namespace ckpt {
namespace {

/// Runs fn(0) .. fn(threads - 1), each on its own thread but the first.
template <typename Fn> void onThreads(size_t threads, Fn &&fn)
{
    std::vector<std::thread> pool;
    for (size_t w = 1; w < threads; ++w) pool.emplace_back(fn, w);
    fn(size_t(0));
    for (auto &th : pool) th.join();
}

} // namespace

struct CompiledRules::Impl
{
    RuleSet set;
    std::vector<CompiledRule> rules;
    std::vector<std::vector<CompiledRule>> stages;
    /// RE2 serialises matches on one object through a lock around its cache (and patterns
    /// PCRE2 cannot take are matched by RE2): worker w > 0 gets its own compiled copy of the
    /// rules, made once, on first use.
    bool usesRe2 = false;
    mutable std::mutex copiesMutex;
    mutable std::vector<std::unique_ptr<const std::vector<CompiledRule>>> copies;
    std::shared_ptr<const RuleSources> sources;
    std::unique_ptr<SurgeryProgram> surgery; ///< set when an enabled rule is a surgery rule

    /// One worker per thread: one for a small job, up to 8 (and the cores there are) for a large one.
    std::vector<std::unique_ptr<PlanWorker>> workersFor(size_t tensors) const
    {
        const size_t threads =
            tensors < 20000 ? 1 : std::min<size_t>(8, std::max(1u, std::thread::hardware_concurrency()));
        std::vector<std::unique_ptr<PlanWorker>> workers;
        for (size_t w = 0; w < threads; ++w) workers.push_back(std::make_unique<PlanWorker>(rulesForWorker(w)));
        return workers;
    }

    const std::vector<CompiledRule> &rulesForWorker(size_t worker) const
    {
        if (worker == 0 || !usesRe2) return rules;
        std::lock_guard lock(copiesMutex);
        while (copies.size() < worker) {
            auto copy = std::make_unique<std::vector<CompiledRule>>();
            for (size_t k = 0; k < set.rules.size(); ++k)
                copy->push_back(compileRule(set.rules[k], set, "rules[" + std::to_string(k) + "]"));
            copies.push_back(std::move(copy));
        }
        return *copies[worker - 1];
    }
};

CompiledRules::CompiledRules(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
CompiledRules::~CompiledRules() = default;
const RuleSet &CompiledRules::rules() const { return m_impl->set; }
const RuleSources &CompiledRules::sources() const { return *m_impl->sources; }

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
    auto sources = RuleSources::open(impl->set);
    if (!sources) return Error{sources.error().message};
    impl->sources = std::make_shared<const RuleSources>(std::move(*sources));
    if (std::any_of(impl->set.rules.begin(), impl->set.rules.end(),
                    [](const Rule &r) { return r.enabled && isSurgery(r.action); })) {
        try {
            impl->surgery = std::make_unique<SurgeryProgram>(impl->set, impl->sources);
        } catch (const std::runtime_error &e) {
            return Error{e.what()};
        }
    }
    impl->usesRe2 = std::any_of(impl->set.rules.begin(), impl->set.rules.end(), [](const Rule &r) {
        return !r.regex.empty() || (r.match && mayUseRe2(*r.match));
    });
    return std::shared_ptr<const CompiledRules>(new CompiledRules(std::move(impl)));
}

std::vector<bool> CompiledRules::selectedBy(size_t rule, const std::vector<PlanInput> &inputs) const
{
    if (m_impl->surgery) return m_impl->surgery->selectedBy(rule, inputs);
    auto workers = m_impl->workersFor(inputs.size());
    std::vector<uint64_t> bits((inputs.size() + 63) / 64);
    std::atomic<size_t> next{0};
    onThreads(workers.size(), [&](size_t w) { workers[w]->runUpTo(inputs, next, rule, bits); });
    std::vector<bool> selected(inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) selected[i] = bits[i / 64] >> (i % 64) & 1;
    return selected;
}

namespace {

/// The add rules' tensors, and what keeps the plan from being written: resizes a tensor
/// cannot take, added names that are already taken.
void addTensors(const RuleSet &set, const std::vector<PlanInput> &inputs, Plan &plan, std::vector<bool> &visible)
{
    const bool anyResize = std::any_of(set.rules.begin(), set.rules.end(), [](const Rule &r) {
        return r.enabled && r.action == Rule::Action::Resize;
    });
    for (size_t i = 0; anyResize && i < inputs.size(); ++i) {
        const TensorPlan &t = plan.tensors[i];
        if (t.dropped || t.resizedBy < 0) continue;
        const Rule &r = set.rules[size_t(t.resizedBy)];
        if (const std::string problem = resizeProblem(r, inputs[i].shape, inputs[i].dtype); !problem.empty())
            plan.diagnostics.push_back({Diagnostic::Severity::Error, t.resizedBy,
                                        "rule " + std::to_string(t.resizedBy) + " cannot resize " + std::string(t.name) + ": " + problem});
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
        AddedTensor a;
        a.name = r.name;
        a.rule = int(k);
        a.dtype = r.castTo;
        a.shape = r.shape;
        plan.added.push_back(std::move(a));
    }
}

/// Rename collisions: one error per responsible rule, with its first example (in tensor
/// order) and a count. Open addressing; a slot holds the hash's high half and the tensor's
/// index, so a probe reads a name only when the hashes agree, and slots are prefetched ahead
/// of use.
void checkCollisions(const std::vector<PlanInput> &inputs, Plan &plan, const std::vector<int> &renamedBy,
                     const std::vector<uint64_t> &hashes)
{
    const size_t n = inputs.size();
    std::map<int, std::pair<std::string, size_t>> collisions;
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
               ((slots[slot] & kHigh) != tag || !sameName(plan.tensors[slots[slot] & ~kHigh].name, t.name)))
            slot = (slot + 1) & mask;
        if (slots[slot] == kEmpty) {
            slots[slot] = tag | i;
            continue;
        }
        const size_t first = slots[slot] & ~kHigh;
        const int rule = renamedBy[i] >= 0 ? renamedBy[i] : renamedBy[first];
        auto &[example, count] = collisions[rule];
        if (count++ == 0)
            example = inputs[first].name + " and " + inputs[i].name + " both become " + std::string(t.name);
    }
    for (const auto &[rule, c] : collisions)
        plan.diagnostics.push_back({Diagnostic::Severity::Error, rule,
                                    "renames collide: " + c.first +
                                        (c.second > 1 ? " (and " + std::to_string(c.second - 1) + " more)" : "")});
}

} // namespace

Plan CompiledRules::evaluate(const std::vector<PlanInput> &inputs, std::optional<int64_t> step) const
{
    const Impl &d = *m_impl;
    if (d.surgery) return d.surgery->evaluate(inputs, step);
    const size_t n = inputs.size();
    const size_t ruleCount = d.rules.size();
    Plan plan;
    plan.tensors.resize(n);
    plan.rules.resize(ruleCount);

    // The collision check needs every final name's hash: the workers take them while the
    // names are hot in their caches. The keys of a dict are unique, so without a rename rule
    // there is nothing to check.
    const bool anyRename = std::any_of(d.rules.begin(), d.rules.end(), [](const CompiledRule &c) {
        return c.rule->enabled && c.rule->action == Rule::Action::Rename;
    });
    std::vector<int> renamedBy(anyRename ? n : 0);
    std::vector<uint64_t> hashes(anyRename ? n : 0);

    auto workers = d.workersFor(n);
    std::atomic<size_t> next{0};
    onThreads(workers.size(), [&](size_t w) {
        workers[w]->run(inputs, next, plan, anyRename ? &renamedBy : nullptr, anyRename ? &hashes : nullptr);
    });
    auto storage = std::make_shared<PlanStorage>();
    std::vector<bool> visible(ruleCount, false);
    for (auto &w : workers) {
        for (size_t k = 0; k < ruleCount; ++k) {
            plan.rules[k].tensors += w->outcomes[k].tensors;
            plan.rules[k].parameters += w->outcomes[k].parameters;
            plan.rules[k].bytes += w->outcomes[k].bytes;
            visible[k] = visible[k] || w->visible[k];
        }
        w->storage.moveInto(*storage);
    }

    // Diagnostics of the rules as written (the schedule changes freezing later, by design).
    addTensors(d.set, inputs, plan, visible);
    for (size_t k = 0; k < ruleCount; ++k) {
        const Rule &r = *d.rules[k].rule;
        if (!r.enabled) continue;
        if (plan.rules[k].tensors == 0) {
            if (!r.optional)
                plan.diagnostics.push_back({Diagnostic::Severity::Error, int(k),
                                            "rule " + std::to_string(k) + " (" + describeRule(r) + ") matches no tensor"});
        } else if (!visible[k])
            plan.diagnostics.push_back({Diagnostic::Severity::Warning, int(k),
                                        "rule " + std::to_string(k) + " (" + describeRule(r) +
                                            ") is fully overridden by later rules"});
    }
    if (anyRename) checkCollisions(inputs, plan, renamedBy, hashes);

    // Later stages of the schedule (freeze and unfreeze only), in step order, when a step is asked for.
    if (step) {
        std::vector<size_t> order(d.stages.size());
        for (size_t s = 0; s < order.size(); ++s) order[s] = s;
        std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
            return d.set.schedule[a].step < d.set.schedule[b].step;
        });
        for (size_t s : order) {
            if (d.set.schedule[s].step > *step) continue;
            for (const auto &c : d.stages[s]) {
                if (!c.rule->enabled) continue;
                for (size_t i = 0; i < n; ++i) {
                    TensorPlan &t = plan.tensors[i];
                    if (!t.dropped && (!c.match || selectTensors(*c.match, &inputs[i], &t.name, 1)))
                        t.frozen = c.rule->action == Rule::Action::Freeze;
                }
            }
        }
    }
    plan.storage = std::move(storage);
    return plan;
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
        const std::string renamed(t.name.substr(0, t.name.size() - rest.size()));
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

std::optional<Path> weightsBase(const Checkpoint &c, const std::optional<Path> &weights)
{
    if (weights) return weights;
    if (!c.weightsCandidates().empty()) return c.weightsCandidates().front().path;
    return std::nullopt;
}

Result<std::vector<PlanInput>> planInputs(const Checkpoint &c, const std::optional<Path> &weights)
{
    const std::optional<Path> found = weightsBase(c, weights);
    if (!found) return Error{"no dict of tensors found; say where the weights are with \"weights\""};
    const Path &base = *found;
    std::vector<PlanInput> out;
    const bool pytree = c.pytreeWeights();
    for (const auto &e : c.entries()) {
        if ((pytree ? e.path.size() <= base.size() : e.path.size() != base.size() + 1) ||
            !std::equal(base.begin(), base.end(), e.path.begin()))
            continue;
        std::string name;
        if (pytree) {
            for (size_t i = base.size(); i < e.path.size(); ++i)
                name += (i > base.size() ? "." : "") + pathElementText(e.path[i]);
        } else if (const auto *key = std::get_if<std::string>(&e.path.back())) {
            name = *key;
        } else {
            continue;
        }
        const TensorInfo &t = c.tensors()[size_t(e.tensor)];
        out.push_back({e.path, std::move(name), t.dtype, t.shape, t.numel(), t.nbytes(), size_t(&e - c.entries().data())});
    }
    if (out.empty())
        return Error{"weights: no tensors at " + (base.empty() ? std::string("the root") : pathToString(base))};
    return out;
}

} // namespace ckpt
