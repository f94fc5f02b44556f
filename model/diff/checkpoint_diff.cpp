#include "model/diff/checkpoint_diff.h"

#include "model/rules/rule_engine.h"
#include "model/checkpoint/tensor_stats.h"

#include <cmath>
#include <cstring>
#include <map>
#include <unordered_map>

namespace ckpt {

std::string_view diffStatusName(TensorDiff::Status s)
{
    switch (s) {
    case TensorDiff::Status::Identical: return "identical";
    case TensorDiff::Status::Changed: return "changed";
    case TensorDiff::Status::Added: return "added";
    case TensorDiff::Status::Removed: return "removed";
    case TensorDiff::Status::ShapeChanged: return "shape_changed";
    case TensorDiff::Status::DtypeChanged: return "dtype_changed";
    }
    return "?";
}

namespace {

/// The weights of one side under the names the config's renames give them.
Result<std::vector<std::pair<std::string, PlanInput>>> alignedInputs(const Checkpoint &c, const RuleSet *rules)
{
    auto inputs = planInputs(c, rules ? rules->weights : std::nullopt);
    if (!inputs) return inputs.error();
    std::vector<std::pair<std::string, PlanInput>> out;
    if (!rules) {
        for (auto &in : *inputs) out.emplace_back(in.name, std::move(in));
        return out;
    }
    RuleSet renames;
    renames.aliases = rules->aliases;
    for (const auto &r : rules->rules)
        if (r.enabled && r.action == Rule::Action::Rename) renames.rules.push_back(r);
    auto compiled = CompiledRules::compile(renames);
    if (!compiled) return compiled.error();
    const Plan plan = (*compiled)->evaluate(*inputs);
    for (size_t i = 0; i < inputs->size(); ++i) out.emplace_back(plan.tensors[i].name, std::move((*inputs)[i]));
    return out;
}

/// The contiguous bytes of a view, or null when it is strided.
const uint8_t *contiguousBytes(const Checkpoint &c, int entry, uint64_t &size)
{
    const TensorInfo &t = c.tensors()[size_t(c.entries()[size_t(entry)].tensor)];
    if (t.storage < 0 || !t.contiguous()) return nullptr;
    const StorageInfo &s = c.storages()[size_t(t.storage)];
    if (!Checkpoint::viewable(s)) return nullptr;
    // In bits: packed quantized elements (quint4x2) take less than a byte each.
    const uint64_t bits = uint64_t(elementBits(t.dtype));
    const uint64_t startBits = uint64_t(t.storageOffset) * bits;
    if (startBits % 8) return nullptr;
    size = (uint64_t(t.numel()) * bits + 7) / 8;
    const ByteView bytes = c.storageBytes(s);
    if (startBits / 8 + size > bytes.size()) return nullptr;
    return bytes.data() + startBits / 8;
}

/// A tensor that is the whole of a compressed record: its compressed bytes (equal bytes, equal
/// values); null otherwise.
const uint8_t *compressedBytes(const Checkpoint &c, int entry, uint64_t &size)
{
    const TensorInfo &t = c.tensors()[size_t(c.entries()[size_t(entry)].tensor)];
    if (t.storage < 0 || !t.contiguous() || t.storageOffset != 0) return nullptr;
    const StorageInfo &s = c.storages()[size_t(t.storage)];
    if (Checkpoint::readable(s) || s.numel != t.numel()) return nullptr;
    size = s.byteLength;
    return c.files()[size_t(s.file)].source->view(s.byteOffset, size).data();
}

bool isMeta(const Checkpoint &c, int entry)
{
    return !c.tensors()[size_t(c.entries()[size_t(entry)].tensor)].hasBytes();
}

void releaseTensor(const Checkpoint &c, int entry)
{
    const TensorInfo &t = c.tensors()[size_t(c.entries()[size_t(entry)].tensor)];
    if (t.storage < 0) return;
    const StorageInfo &s = c.storages()[size_t(t.storage)];
    if (s.mapped) c.files()[size_t(s.file)].source->release(s.byteOffset, s.byteLength);
}

} // namespace

Result<TensorDelta> tensorDelta(const Checkpoint &a, int entryA, const Checkpoint &b, int entryB, int bins,
                                const std::atomic<bool> *cancel)
{
    auto va = tensorView(a, size_t(entryA), bins), vb = tensorView(b, size_t(entryB), 0);
    if (!va) return va.error();
    if (!vb) return vb.error();
    auto backend = computeBackend();
    if (!backend) return backend.error();
    const DeltaRequest request{*va, *vb};
    return (*backend)->delta(request, cancel);
}

Result<DiffReport> diffCheckpoints(const Checkpoint &a, const Checkpoint &b, const DiffOptions &options,
                                   const std::atomic<bool> *cancel, const ProgressFn &progress)
{
    auto left = alignedInputs(a, options.rules);
    if (!left) return Error{"A: " + left.error().message};
    auto right = alignedInputs(b, options.rules);
    if (!right) return Error{"B: " + right.error().message};
    std::unordered_map<std::string_view, size_t> byName;
    for (size_t i = 0; i < right->size(); ++i)
        if (!byName.emplace((*right)[i].first, i).second)
            return Error{"B: the renames give two tensors the name " + (*right)[i].first};
    std::vector<bool> matched(right->size(), false);

    DiffReport report;
    uint64_t total = 0, done = 0;
    for (const auto &[name, in] : *left) total += in.bytes;
    for (const auto &[name, in] : *left) {
        TensorDiff d;
        d.name = name;
        d.a = int(in.entry);
        d.shapeA = in.shape;
        d.dtypeA = in.dtype;
        d.numel = in.numel;
        report.parametersA += in.numel;
        const auto it = byName.find(name);
        if (it == byName.end()) {
            d.status = TensorDiff::Status::Removed;
            ++report.removed;
            report.tensors.push_back(std::move(d));
            continue;
        }
        matched[it->second] = true;
        const PlanInput &other = (*right)[it->second].second;
        d.b = int(other.entry);
        d.shapeB = other.shape;
        d.dtypeB = other.dtype;
        if (cancel && cancel->load()) return Error{"cancelled"};
        if (d.shapeA != d.shapeB) {
            d.status = TensorDiff::Status::ShapeChanged;
            ++report.shapeChanged;
        } else {
            uint64_t sizeA = 0, sizeB = 0;
            const uint8_t *pa = contiguousBytes(a, d.a, sizeA);
            const uint8_t *pb = contiguousBytes(b, d.b, sizeB);
            // Meta tensors have no bytes: equal when their shape and dtype are.
            const bool bothMeta = isMeta(a, d.a) && isMeta(b, d.b);
            uint64_t storedA = 0, storedB = 0;
            const uint8_t *ca = pa ? nullptr : compressedBytes(a, d.a, storedA);
            const uint8_t *cb = pb ? nullptr : compressedBytes(b, d.b, storedB);
            const bool sameBytes = d.dtypeA == d.dtypeB &&
                                   (bothMeta || (pa && pb && sizeA == sizeB && std::memcmp(pa, pb, sizeA) == 0) ||
                                    (ca && cb && storedA == storedB && std::memcmp(ca, cb, storedA) == 0));
            if (sameBytes) {
                d.status = TensorDiff::Status::Identical;
                ++report.identical;
            } else {
                auto delta = tensorDelta(a, d.a, b, d.b, 0, cancel);
                if (!delta && delta.error().message == "cancelled") return delta.error();
                if (delta) {
                    d.hasMetrics = true;
                    d.maxAbs = delta->maxAbs;
                    d.meanAbs = delta->meanAbs;
                    d.relL2 = delta->relL2;
                    d.cosine = delta->cosine;
                    d.l2Diff = delta->l2Diff;
                    d.l2A = delta->l2A;
                    d.changedElements = delta->changed;
                } else {
                    d.error = delta.error().message;
                }
                // Strided views with equal values, or a dtype change that kept every value.
                if (d.dtypeA != d.dtypeB) {
                    d.status = TensorDiff::Status::DtypeChanged;
                    ++report.dtypeChanged;
                } else if (d.hasMetrics && d.changedElements == 0) {
                    d.status = TensorDiff::Status::Identical;
                    ++report.identical;
                } else {
                    d.status = TensorDiff::Status::Changed;
                    ++report.changed;
                }
                if (d.status != TensorDiff::Status::Identical) {
                    report.parametersChanged += d.numel;
                    report.elementsChanged += d.changedElements;
                }
            }
            releaseTensor(a, d.a);
            releaseTensor(b, d.b);
        }
        done += in.bytes;
        if (progress && total && done < total) progress(double(done) / double(total));
        report.tensors.push_back(std::move(d));
    }
    if (progress) progress(1.0);
    for (size_t i = 0; i < right->size(); ++i) {
        if (matched[i]) continue;
        const PlanInput &in = (*right)[i].second;
        TensorDiff d;
        d.status = TensorDiff::Status::Added;
        d.name = (*right)[i].first;
        d.b = int(in.entry);
        d.shapeB = in.shape;
        d.dtypeB = in.dtype;
        d.numel = in.numel;
        ++report.added;
        report.tensors.push_back(std::move(d));
    }
    // Per module, in the order modules first appear.
    std::map<std::string, size_t> moduleIndex;
    std::vector<std::pair<double, double>> sums; // sum of squares: diff, a
    for (size_t i = 0; i < report.tensors.size(); ++i) {
        TensorDiff &d = report.tensors[i];
        if (d.a < 0) continue;
        const std::string module(moduleOfName(d.name));
        auto [it, inserted] = moduleIndex.try_emplace(module, report.modules.size());
        if (inserted) {
            report.modules.push_back({module});
            report.modules.back().firstTensor = int(i);
            sums.emplace_back(0.0, 0.0);
        }
        d.module = int(it->second);
        ModuleChange &m = report.modules[it->second];
        m.parameters += d.numel;
        ++m.tensors;
        m.changed += d.status != TensorDiff::Status::Identical;
        if (d.hasMetrics) {
            sums[it->second].first += d.l2Diff * d.l2Diff;
            sums[it->second].second += d.l2A * d.l2A;
        }
    }
    for (size_t k = 0; k < report.modules.size(); ++k)
        report.modules[k].relChange = sums[k].second > 0 ? std::sqrt(sums[k].first / sums[k].second) : 0.0;
    return report;
}

} // namespace ckpt
