#include "model/formats/pickle_run.h"

#include "model/base/format_error.h"
#include "model/pickle/weights_only_check.h"

#include <unordered_map>

namespace ckpt {
namespace {

class TwoObservers final : public UnpickleObserver
{
public:
    TwoObservers(UnpickleObserver &a, UnpickleObserver &b) : m_a(a), m_b(b) {}
    void opcodesUsed(const std::array<bool, 256> &u) override { m_a.opcodesUsed(u), m_b.opcodesUsed(u); }
    void global(const Value *g, bool s) override { m_a.global(g, s), m_b.global(g, s); }
    void reduce(const Value *c, const Value *a) override { m_a.reduce(c, a), m_b.reduce(c, a); }
    void newObject(const Value *c) override { m_a.newObject(c), m_b.newObject(c); }
    void build(const Value *t) override { m_a.build(t), m_b.build(t); }
    void append(const Value *t) override { m_a.append(t), m_b.append(t); }
    void setItem(const Value *t) override { m_a.setItem(t), m_b.setItem(t); }
    void persistentId(const Value *p) override { m_a.persistentId(p), m_b.persistentId(p); }

private:
    UnpickleObserver &m_a;
    UnpickleObserver &m_b;
};

} // namespace

namespace {

/// Adds the globals a pickle named to the census, indexed by (module, name, file) so that a
/// pickle naming many globals stays linear.
void recordGlobals(SafetyReport &safety, std::vector<GlobalRef> &globals, const std::string &label)
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
            safety.globals.push_back(std::move(use));
        }
        ++safety.globals[it->second].count;
    }
}

} // namespace

Value *runPickle(CheckpointData &d, const uint8_t *data, uint64_t size, uint64_t start,
                 const std::string &label, uint64_t *end)
{
    WeightsOnlyCheck old(WeightsOnlyCheck::Policy::Torch113);
    WeightsOnlyCheck modern(WeightsOnlyCheck::Policy::Torch2);
    TwoObservers both(old, modern);
    auto out = unpickle(*d.arena, data, size, start, &both, {}, /*borrowData=*/true);
    if (!out) // the unpickler's messages start with "pickle:" already
        throw FormatError(label == "pickle" ? out.error().message : label + ": " + out.error().message);
    old.mergeInto(d.safety.torch113);
    modern.mergeInto(d.safety.torch2);
    recordGlobals(d.safety, out->globals, label);
    if (end) *end = out->end;
    return out->root;
}

uint64_t scanPickle(CheckpointData &d, const uint8_t *data, uint64_t size, const std::string &label, uint64_t start)
{
    /// Keeps each global as it is met, so that what a broken pickle names still counts.
    class Collector final : public UnpickleObserver
    {
    public:
        void global(const Value *g, bool) override
        {
            if (g->kind == ValueKind::Global) seen.push_back({std::string(g->module()), std::string(g->name()), 0});
        }
        std::vector<GlobalRef> seen;
    };
    ValueArena scratch; // its values are not kept
    Collector collector;
    auto out = unpickle(scratch, data, size, start, &collector, {}, /*borrowData=*/true);
    if (!out) {
        recordGlobals(d.safety, collector.seen, label);
        throw FormatError(out.error().message);
    }
    recordGlobals(d.safety, out->globals, label);
    return out->end;
}

void finishSafetyReport(SafetyReport &report)
{
    report.dangerous = false;
    for (auto &g : report.globals) {
        g.category = classifyGlobal(g.module, g.name, &g.reason);
        report.dangerous = report.dangerous || g.category == GlobalCategory::Dangerous;
    }
}

} // namespace ckpt
