#include "model/diff/checkpoint_diff.h"

#include "model/checkpoint/tensor_stats.h"
#include "model/export/recipe_bytes.h"
#include "model/rules/rule_engine.h"

#include <algorithm>
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

bool usedInDiff(Rule::Action a)
{
    switch (a) {
    case Rule::Action::Rename:
    case Rule::Action::Drop:
    case Rule::Action::Stack:
    case Rule::Action::Concat:
    case Rule::Action::Unstack:
    case Rule::Action::Split:
    case Rule::Action::Transpose:
    case Rule::Action::Reshape:
    case Rule::Action::PermuteHeads:
    case Rule::Action::UnpermuteHeads:
    case Rule::Action::Shift: return true;
    default: return false;
    }
}

} // namespace

/// One side's weights under the names the config gives them; a tensor its layout rules make
/// has a recipe step, read through RecipeBytes.
struct DiffSide
{
    struct Tensor
    {
        std::string name;
        PlanInput in;     ///< a made tensor: its shape, dtype and size, and the entry it is made from
        int recipe = -1;
    };
    RuleSet rules;
    std::shared_ptr<const CompiledRules> compiled;
    std::shared_ptr<const RecipeBook> recipes;
    std::vector<Tensor> tensors;
};

struct DiffSides
{
    DiffSide a, b;
};

namespace {

/// The entry a recipe step reads from the edited checkpoint first (-1: none).
int firstEntry(const RecipeBook &book, int step)
{
    const RecipeStep &s = book.steps[size_t(step)];
    if (s.op == RecipeStep::Op::Read) return s.source == 0 ? int(s.entry) : -1;
    for (int o : s.operands)
        if (const int e = firstEntry(book, o); e >= 0) return e;
    return -1;
}

Result<DiffSide> sideOf(const Checkpoint &c, const RuleSet *rules)
{
    auto inputs = planInputs(c, rules ? rules->weights : std::nullopt);
    if (!inputs) return inputs.error();
    DiffSide side;
    if (!rules) {
        for (auto &in : *inputs) side.tensors.push_back({in.name, std::move(in)});
        return side;
    }
    side.rules.aliases = rules->aliases;
    side.rules.types = rules->types;
    side.rules.folder = rules->folder;
    side.rules.metadata = c.metadata();
    side.rules.ggufMetadata = rules->ggufMetadata;
    // A rule that matches nothing on one side does nothing there.
    for (Rule r : rules->rules)
        if (r.enabled && usedInDiff(r.action)) r.optional = true, side.rules.rules.push_back(std::move(r));
    auto compiled = CompiledRules::compile(side.rules);
    if (!compiled) return compiled.error();
    side.compiled = *compiled;
    const Plan plan = side.compiled->evaluate(*inputs);
    for (const Diagnostic &d : plan.diagnostics)
        if (d.severity == Diagnostic::Severity::Error) return Error{d.message};
    side.recipes = plan.recipes;
    // Model order: a made tensor stands where the tensor it is made from stood.
    std::vector<std::pair<std::pair<size_t, size_t>, DiffSide::Tensor>> placed;
    std::unordered_map<size_t, size_t> inputOfEntry;
    for (size_t i = 0; i < inputs->size(); ++i) inputOfEntry.emplace((*inputs)[i].entry, i);
    for (size_t i = 0; i < inputs->size(); ++i) {
        const TensorPlan &t = plan.tensors[i];
        if (t.dropped || t.consumedBy >= 0) continue;
        placed.push_back({{i, 0}, {std::string(t.name), std::move((*inputs)[i])}});
    }
    for (size_t k = 0; k < plan.added.size(); ++k) {
        const AddedTensor &added = plan.added[k];
        if (added.recipe < 0) continue;
        DiffSide::Tensor t{added.name, {}, added.recipe};
        t.in.name = added.name;
        t.in.dtype = added.dtype;
        t.in.shape = added.shape;
        t.in.numel = 1;
        for (int64_t d : added.shape) t.in.numel *= d;
        t.in.bytes = (uint64_t(t.in.numel) * uint64_t(dtypeBits(added.dtype)) + 7) / 8;
        const int entry = firstEntry(*plan.recipes, added.recipe);
        t.in.entry = size_t(std::max(entry, 0));
        const auto at = inputOfEntry.find(t.in.entry);
        placed.push_back({{at == inputOfEntry.end() ? inputs->size() : at->second, k + 1}, std::move(t)});
    }
    std::stable_sort(placed.begin(), placed.end(), [](const auto &x, const auto &y) { return x.first < y.first; });
    for (auto &p : placed) side.tensors.push_back(std::move(p.second));
    return side;
}

/// The values of one side's tensor as the delta reads them: a view of its bytes, or the
/// bytes its recipe makes (one tensor held at a time).
Result<StatsRequest> valuesOf(const Checkpoint &c, const DiffSide &side, const DiffSide::Tensor &t, int bins)
{
    if (t.recipe < 0) return tensorView(c, t.in.entry, bins);
    try {
        RecipeBytes bytes(c, side.compiled->sources(), side.rules, *side.recipes);
        auto held = std::make_shared<const std::vector<char>>(bytes.bytes(t.recipe));
        StatsRequest r;
        r.storage = reinterpret_cast<const uint8_t *>(held->data());
        r.storageBytes = held->size();
        r.held = held;
        r.dtype = t.in.dtype;
        r.shape = t.in.shape;
        r.strides = contiguousStrides(r.shape);
        r.bins = bins;
        return r;
    } catch (const std::exception &e) {
        return Error{e.what()};
    }
}

Result<TensorDelta> deltaOf(const StatsRequest &a, const StatsRequest &b, const std::atomic<bool> *cancel)
{
    auto backend = computeBackend();
    if (!backend) return backend.error();
    return (*backend)->delta(DeltaRequest{a, b}, cancel);
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

namespace {

/// Tensor `ia` of side A and `ib` of side B, compared value by value.
Result<TensorDelta> sideDelta(const Checkpoint &a, const DiffSide &sa, size_t ia, const Checkpoint &b,
                              const DiffSide &sb, size_t ib, int bins, const std::atomic<bool> *cancel)
{
    auto va = valuesOf(a, sa, sa.tensors[ia], bins);
    if (!va) return Error{"A: " + va.error().message};
    auto vb = valuesOf(b, sb, sb.tensors[ib], 0);
    if (!vb) return Error{"B: " + vb.error().message};
    return deltaOf(*va, *vb, cancel);
}

} // namespace

Result<TensorDelta> tensorDelta(const Checkpoint &a, const Checkpoint &b, const DiffSides &sides, const TensorDiff &d,
                                int bins, const std::atomic<bool> *cancel)
{
    if (d.sideA < 0 || d.sideB < 0 || size_t(d.sideA) >= sides.a.tensors.size() ||
        size_t(d.sideB) >= sides.b.tensors.size())
        return Error{d.name + " is on one side only"};
    return sideDelta(a, sides.a, size_t(d.sideA), b, sides.b, size_t(d.sideB), bins, cancel);
}

Result<DiffReport> diffCheckpoints(const Checkpoint &a, const Checkpoint &b, const DiffOptions &options,
                                   const std::atomic<bool> *cancel, const ProgressFn &progress)
{
    auto sides = std::make_shared<DiffSides>();
    auto left = sideOf(a, options.rules);
    if (!left) return Error{"A: " + left.error().message};
    auto right = sideOf(b, options.rules);
    if (!right) return Error{"B: " + right.error().message};
    sides->a = std::move(*left);
    sides->b = std::move(*right);
    const DiffSide &sa = sides->a, &sb = sides->b;
    std::unordered_map<std::string_view, size_t> byName;
    for (size_t i = 0; i < sb.tensors.size(); ++i)
        if (!byName.emplace(sb.tensors[i].name, i).second)
            return Error{"B: the renames give two tensors the name " + sb.tensors[i].name};
    std::vector<bool> matched(sb.tensors.size(), false);

    DiffReport report;
    report.sides = sides;
    uint64_t total = 0, done = 0;
    for (const auto &t : sa.tensors) total += t.in.bytes;
    for (size_t ia = 0; ia < sa.tensors.size(); ++ia) {
        const DiffSide::Tensor &ta = sa.tensors[ia];
        const PlanInput &in = ta.in;
        TensorDiff d;
        d.name = ta.name;
        d.a = int(in.entry);
        d.sideA = int(ia);
        d.shapeA = in.shape;
        d.dtypeA = in.dtype;
        d.numel = in.numel;
        report.parametersA += in.numel;
        const auto it = byName.find(ta.name);
        if (it == byName.end()) {
            d.status = TensorDiff::Status::Removed;
            ++report.removed;
            report.tensors.push_back(std::move(d));
            continue;
        }
        matched[it->second] = true;
        const DiffSide::Tensor &tb = sb.tensors[it->second];
        const PlanInput &other = tb.in;
        d.b = int(other.entry);
        d.sideB = int(it->second);
        d.shapeB = other.shape;
        d.dtypeB = other.dtype;
        if (cancel && cancel->load()) return Error{"cancelled"};
        if (d.shapeA != d.shapeB) {
            d.status = TensorDiff::Status::ShapeChanged;
            ++report.shapeChanged;
        } else {
            const bool made = ta.recipe >= 0 || tb.recipe >= 0;
            uint64_t sizeA = 0, sizeB = 0;
            const uint8_t *pa = made ? nullptr : contiguousBytes(a, d.a, sizeA);
            const uint8_t *pb = made ? nullptr : contiguousBytes(b, d.b, sizeB);
            // Meta tensors have no bytes: equal when their shape and dtype are.
            const bool bothMeta = !made && isMeta(a, d.a) && isMeta(b, d.b);
            uint64_t storedA = 0, storedB = 0;
            const uint8_t *ca = pa || made ? nullptr : compressedBytes(a, d.a, storedA);
            const uint8_t *cb = pb || made ? nullptr : compressedBytes(b, d.b, storedB);
            const bool sameBytes = d.dtypeA == d.dtypeB &&
                                   (bothMeta || (pa && pb && sizeA == sizeB && std::memcmp(pa, pb, sizeA) == 0) ||
                                    (ca && cb && storedA == storedB && std::memcmp(ca, cb, storedA) == 0));
            if (sameBytes) {
                d.status = TensorDiff::Status::Identical;
                ++report.identical;
            } else {
                auto delta = sideDelta(a, sa, ia, b, sb, it->second, 0, cancel);
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
    for (size_t i = 0; i < sb.tensors.size(); ++i) {
        if (matched[i]) continue;
        const PlanInput &in = sb.tensors[i].in;
        TensorDiff d;
        d.status = TensorDiff::Status::Added;
        d.name = sb.tensors[i].name;
        d.b = int(in.entry);
        d.sideB = int(i);
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
