#include "model/formats/pickle_run.h"

#include "model/base/format_error.h"
#include "model/pickle/attribute_lookup.h"
#include "model/pickle/weights_only_check.h"

#include <algorithm>
#include <unordered_map>

namespace ckpt {
namespace {

/// Passes each event on to the weights-only checks (when given) and keeps what the safety
/// report needs itself: every global as it is met (so that what a broken pickle names still
/// counts) and the anomalies.
class Census final : public UnpickleObserver
{
public:
    explicit Census(std::vector<UnpickleObserver *> others = {}) : m_others(std::move(others)) {}
    void opcodesUsed(const std::array<bool, 256> &u) override { for (auto *o : m_others) o->opcodesUsed(u); }
    void global(const Value *g, bool s) override
    {
        if (g->kind == ValueKind::Global) seen.push_back({std::string(g->module()), std::string(g->name()), 0});
        for (auto *o : m_others) o->global(g, s);
    }
    void reduce(const Value *c, const Value *a) override { for (auto *o : m_others) o->reduce(c, a); }
    void newObject(const Value *c) override { for (auto *o : m_others) o->newObject(c); }
    void build(const Value *t) override { for (auto *o : m_others) o->build(t); }
    void append(const Value *t) override { for (auto *o : m_others) o->append(t); }
    void setItem(const Value *t) override { for (auto *o : m_others) o->setItem(t); }
    void persistentId(const Value *p) override { for (auto *o : m_others) o->persistentId(p); }
    void anomaly(const std::string &what, uint64_t offset) override
    {
        if (anomalies.size() < 100) anomalies.push_back(what + " at byte " + std::to_string(offset));
    }

    std::vector<GlobalRef> seen;
    std::vector<std::string> anomalies;

private:
    std::vector<UnpickleObserver *> m_others;
};

void recordAnomalies(SafetyReport &safety, const std::vector<std::string> &anomalies, const std::string &label)
{
    for (const auto &a : anomalies) safety.anomalies.push_back(label + ": " + a);
}


/// Adds the globals a pickle named to the census, indexed by (module, name, file) so that a
/// pickle naming many globals stays linear.
void recordGlobals(SafetyReport &safety, std::vector<GlobalRef> &globals, const std::string &label,
                   const std::string &lookup = {})
{
    std::unordered_map<std::string, size_t> index;
    auto keyOf = [](const std::string &m, const std::string &n, const std::string &f) {
        return m + '\n' + n + '\n' + f;
    };
    for (size_t i = 0; i < safety.globals.size(); ++i) {
        const auto &u = safety.globals[i];
        index.emplace(keyOf(u.module, u.name, u.file), i);
    }
    for (auto &g : globals) {
        auto [it, inserted] = index.try_emplace(keyOf(g.module, g.name, label), safety.globals.size());
        if (inserted) {
            GlobalUse use;
            use.module = std::move(g.module);
            use.name = std::move(g.name);
            use.file = label;
            use.firstOffset = g.offset;
            if (isGetattrGlobal(use.module, use.name)) use.lookupOnly = lookup;
            safety.globals.push_back(std::move(use));
        } else if (isGetattrGlobal(g.module, g.name) && lookup.empty()) {
            safety.globals[it->second].lookupOnly.clear(); // another pickle uses it for more
        }
        ++safety.globals[it->second].count;
    }
}

/// The Enum-member lookup of inertAttributeLookup, looked for only when the pickle named
/// builtins.getattr (the walk over its values stays off the common path).
std::string lookupIn(const std::vector<GlobalRef> &globals, ValueArena &arena, size_t first)
{
    for (const auto &g : globals)
        if (isGetattrGlobal(g.module, g.name)) return inertAttributeLookup(arena, first);
    return {};
}

} // namespace

Value *runPickle(CheckpointData &d, const uint8_t *data, uint64_t size, uint64_t start,
                 const std::string &label, uint64_t *end)
{
    WeightsOnlyCheck old(WeightsOnlyCheck::Policy::Torch113);
    WeightsOnlyCheck modern(WeightsOnlyCheck::Policy::Torch2);
    Census census({&old, &modern});
    const size_t first = d.arena->size();
    auto out = unpickle(*d.arena, data, size, start, &census, {}, /*borrowData=*/true);
    recordAnomalies(d.safety, census.anomalies, label);
    if (!out) // the unpickler's messages start with "pickle:" already
        throw FormatError(label == "pickle" ? out.error().message : label + ": " + out.error().message);
    old.mergeInto(d.safety.torch113);
    modern.mergeInto(d.safety.torch2);
    recordGlobals(d.safety, out->globals, label, lookupIn(out->globals, *d.arena, first));
    if (end) *end = out->end;
    return out->root;
}

uint64_t scanPickle(CheckpointData &d, const uint8_t *data, uint64_t size, const std::string &label, uint64_t start)
{
    ValueArena scratch; // its values are not kept
    Census census;
    auto out = unpickle(scratch, data, size, start, &census, {}, /*borrowData=*/true);
    recordAnomalies(d.safety, census.anomalies, label);
    if (!out) {
        recordGlobals(d.safety, census.seen, label);
        throw FormatError(out.error().message);
    }
    recordGlobals(d.safety, out->globals, label, lookupIn(out->globals, scratch, 0));
    return out->end;
}

void finishSafetyReport(SafetyReport &report)
{
    report.dangerous = !report.anomalies.empty(); // two readers could see different programs
    for (auto &g : report.globals) {
        if (g.classified) {
            report.dangerous = report.dangerous || g.category == GlobalCategory::Dangerous;
            continue;
        }
        g.category = classifyGlobal(g.module, g.name, &g.reason);
        if (!g.lookupOnly.empty()) {
            // As harmless as what it looks up (whose import is in the report on its own).
            const auto a = g.lookupOnly.find('\n'), b = g.lookupOnly.rfind('\n');
            const std::string owner = g.lookupOnly.substr(0, a), name = g.lookupOnly.substr(a + 1, b - a - 1);
            const GlobalCategory of = classifyGlobal(owner, name);
            g.category = std::max(GlobalCategory::SafeContainer, of);
            g.reason = "only looks up ";
            g.reason.append(owner).append(".").append(name).append(".").append(g.lookupOnly.substr(b + 1));
            g.reason += " (an attribute such as an Enum member), never calls it";
        }
        report.dangerous = report.dangerous || g.category == GlobalCategory::Dangerous;
    }
}

} // namespace ckpt
