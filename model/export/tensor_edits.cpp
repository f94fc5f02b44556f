#include "model/export/tensor_edits.h"

#include "model/checkpoint/checkpoint_summary.h"
#include "model/checkpoint/source_reader.h"
#include "model/checkpoint/tensor_stats.h"

namespace ckpt {
namespace {

/// FNV-1a: a seed that stays the same across runs and builds.
uint64_t seedFor(std::string_view name)
{
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
    return h;
}

} // namespace

std::vector<char> editedBytes(std::vector<char> bytes, DType from, const std::vector<int64_t> &shape,
                              const Rule *resize, DType to, std::string_view name)
{
    int64_t count = 1;
    for (int64_t d : shape) count *= d;
    if (resize) {
        ResizeRequest request;
        request.data = bytes.data();
        request.dtype = from;
        request.from = shape;
        request.to = resize->shape;
        request.method = resize->method;
        request.fill = resize->fill;
        request.prefixTokens = resize->prefixTokens;
        request.stddev = resize->stddev;
        request.seed = seedFor(name);
        auto out = loadedBackend().resize(request);
        if (!out) throw std::runtime_error(std::string(name) + ": resize: " + out.error().message);
        bytes = std::move(*out);
        count = 1;
        for (int64_t d : resize->shape) count *= d;
    }
    if (to != from) bytes = convertedBytes(bytes, from, to, count);
    return bytes;
}

std::vector<char> plannedBytes(std::vector<char> bytes, const PlanInput &input, const TensorPlan &plan,
                               const RuleSet &rules)
{
    return editedBytes(std::move(bytes), input.dtype, input.shape,
                       plan.resizedBy >= 0 ? &rules.rules[size_t(plan.resizedBy)] : nullptr, plan.dtype, plan.name);
}

std::vector<char> AddedTensorBytes::bytes(const Rule &r)
{
    if (r.fill != "target") {
        FillRequest request;
        request.dtype = r.castTo;
        request.shape = r.shape;
        request.fill = r.fill;
        if (r.stddev > 0) request.stddev = r.stddev;
        request.seed = seedFor(r.name);
        auto out = loadedBackend().fill(request);
        if (!out) throw std::runtime_error(r.name + ": " + out.error().message);
        return std::move(*out);
    }
    auto &target = m_targets[r.source];
    if (!target) {
        auto loaded = loadTarget(r.source);
        if (!loaded) throw std::runtime_error(r.source + ": " + loaded.error().message);
        target = std::make_shared<const TargetArchitecture>(std::move(*loaded));
    }
    const TargetTensor *t = target->find(r.name);
    if (!t || t->entry < 0 || !target->values)
        throw std::runtime_error(r.name + ": " + r.source + " holds no values for it");
    if (t->shape != r.shape)
        throw std::runtime_error(r.name + ": " + r.source + " has it as " + shapeText(t->shape) + ", not " + shapeText(r.shape));
    const Checkpoint &c = *target->values;
    const TensorInfo &info = c.tensors()[size_t(c.entries()[size_t(t->entry)].tensor)];
    const SourceReader src(c);
    std::vector<char> out = tensorBytes(c, src, info);
    if (info.dtype != r.castTo) out = convertedBytes(out, info.dtype, r.castTo, info.numel());
    return out;
}

} // namespace ckpt
