#include "model/export/recipe_bytes.h"

#include "model/base/half_float.h"
#include "model/checkpoint/checkpoint_summary.h"
#include "model/compute/compute_backend.h"
#include "model/export/tensor_edits.h"

#include <cstring>
#include <numeric>
#include <stdexcept>

namespace ckpt {
namespace layout {
namespace {

int64_t product(const std::vector<int64_t> &shape, size_t from, size_t to)
{
    int64_t n = 1;
    for (size_t d = from; d < to && d < shape.size(); ++d) n *= shape[d];
    return n;
}

} // namespace

std::vector<char> concat(const std::vector<const std::vector<char> *> &parts,
                         const std::vector<std::vector<int64_t>> &shapes, int64_t axis, size_t elementSize)
{
    const int64_t outer = product(shapes[0], 0, size_t(axis));
    size_t total = 0;
    std::vector<size_t> inner(parts.size());
    for (size_t j = 0; j < parts.size(); ++j) {
        inner[j] = size_t(product(shapes[j], size_t(axis), shapes[j].size())) * elementSize;
        total += parts[j]->size();
    }
    std::vector<char> out(total);
    char *at = out.data();
    for (int64_t o = 0; o < outer; ++o)
        for (size_t j = 0; j < parts.size(); ++j) {
            std::memcpy(at, parts[j]->data() + size_t(o) * inner[j], inner[j]);
            at += inner[j];
        }
    return out;
}

std::vector<char> slice(const std::vector<char> &in, const std::vector<int64_t> &shape, int64_t axis, int64_t start,
                        int64_t length, size_t elementSize)
{
    const int64_t outer = product(shape, 0, size_t(axis));
    const size_t row = size_t(product(shape, size_t(axis) + 1, shape.size())) * elementSize;
    const size_t inner = size_t(shape[size_t(axis)]) * row;
    std::vector<char> out(size_t(outer) * size_t(length) * row);
    for (int64_t o = 0; o < outer; ++o)
        std::memcpy(out.data() + size_t(o) * size_t(length) * row, in.data() + size_t(o) * inner + size_t(start) * row,
                    size_t(length) * row);
    return out;
}

std::vector<char> permute(const std::vector<char> &in, const std::vector<int64_t> &shape,
                          const std::vector<int64_t> &dims, size_t elementSize)
{
    const size_t n = shape.size();
    std::vector<int64_t> strides(n, 1); // of the input, in elements
    for (size_t d = n; d-- > 1;) strides[d - 1] = strides[d] * shape[d];
    std::vector<int64_t> outShape(n), step(n);
    for (size_t d = 0; d < n; ++d) {
        outShape[d] = shape[size_t(dims[d])];
        step[d] = strides[size_t(dims[d])];
    }
    std::vector<char> out(in.size());
    if (in.empty()) return out;
    std::vector<int64_t> index(n, 0);
    const int64_t last = n ? outShape[n - 1] : 1;
    const int64_t lastStep = n ? step[n - 1] : 0;
    char *at = out.data();
    for (;;) {
        int64_t offset = 0;
        for (size_t d = 0; d + 1 < n; ++d) offset += index[d] * step[d];
        for (int64_t i = 0; i < last; ++i, at += elementSize)
            std::memcpy(at, in.data() + size_t(offset + i * lastStep) * elementSize, elementSize);
        size_t d = n > 0 ? n - 1 : 0;
        while (d-- > 0) {
            if (++index[d] < outShape[d]) break;
            index[d] = 0;
        }
        if (d == size_t(-1)) break;
    }
    return out;
}

} // namespace layout

namespace {

/// Each value plus `by`, rounded once to the dtype (float16 and bfloat16 through float32,
/// which holds their sum exactly enough for one rounding).
std::vector<char> shifted(const std::vector<char> &in, DType dtype, double by)
{
    std::vector<char> out(in.size());
    auto each = [&](auto type, auto op) {
        using T = decltype(type);
        for (size_t i = 0; i + sizeof(T) <= in.size(); i += sizeof(T)) {
            T v;
            std::memcpy(&v, in.data() + i, sizeof v);
            v = op(v);
            std::memcpy(out.data() + i, &v, sizeof v);
        }
    };
    switch (dtype) {
    case DType::Float32: each(float(), [&](float v) { return float(v + float(by)); }); break;
    case DType::Float64: each(double(), [&](double v) { return v + by; }); break;
    case DType::Float16: each(uint16_t(), [&](uint16_t v) { return floatToHalf(halfToFloat(v) + float(by)); }); break;
    case DType::BFloat16:
        each(uint16_t(), [&](uint16_t v) { return floatToBfloat16(bfloat16ToFloat(v) + float(by)); });
        break;
    default: throw std::runtime_error("shift: " + std::string(dtypeName(dtype)) + " values are not shifted");
    }
    return out;
}

} // namespace

RecipeBytes::RecipeBytes(const Checkpoint &self, const RuleSources &sources, const RuleSet &rules, const RecipeBook &book)
    : m_self(self), m_sources(sources), m_rules(rules), m_book(book)
{
}

const Checkpoint &RecipeBytes::checkpointOf(int source) const
{
    return source == 0 ? m_self : *m_sources.all()[size_t(source) - 1].checkpoint;
}

const SourceReader &RecipeBytes::readerOf(int source)
{
    auto &reader = m_readers[source];
    if (!reader) reader = std::make_unique<SourceReader>(checkpointOf(source));
    return *reader;
}

namespace {

size_t elementSize(const RecipeStep &s)
{
    const int bits = dtypeBits(s.dtype);
    if (bits <= 0 || bits % 8) throw std::runtime_error("cannot rearrange " + std::string(dtypeName(s.dtype)) + " elements");
    return size_t(bits / 8);
}

/// What merge step `s` asks the plugin for, but its inputs.
MergeRequest mergeRequest(const RecipeStep &s, const Rule &r)
{
    MergeRequest request;
    request.method = r.method;
    request.weights = s.weights;
    request.t = r.t;
    request.density = r.density;
    request.out = s.dtype;
    return request;
}

TensorData dataOf(const std::vector<char> &bytes, const RecipeStep &s)
{
    return TensorData{bytes.data(), s.dtype, s.shape};
}

} // namespace

std::vector<char> RecipeBytes::bytes(int step)
{
    const RecipeStep &s = m_book.steps[size_t(step)];
    auto operand = [&](size_t i) {
        const int o = s.operands[i];
        if (o == m_cachedStep) return m_cached;
        auto bytes = std::make_shared<const std::vector<char>>(this->bytes(o));
        const RecipeStep::Op op = m_book.steps[size_t(o)].op;
        if (op == RecipeStep::Op::Read || op == RecipeStep::Op::Edit) {
            m_cachedStep = o;
            m_cached = bytes;
        }
        return bytes;
    };
    auto shapeOf = [&](size_t i) -> const std::vector<int64_t> & { return m_book.steps[size_t(s.operands[i])].shape; };
    switch (s.op) {
    case RecipeStep::Op::Read: {
        const Checkpoint &c = checkpointOf(s.source);
        const TensorInfo &t = c.tensors()[size_t(c.entries()[s.entry].tensor)];
        if (!t.hasBytes()) throw std::runtime_error(s.name + ": " + whyNoData(t));
        return tensorBytes(c, readerOf(s.source), t);
    }
    case RecipeStep::Op::Edit: {
        const RecipeStep &from = m_book.steps[size_t(s.operands[0])];
        return editedBytes(*operand(0), from.dtype, from.shape, s.rule >= 0 ? &m_rules.rules[size_t(s.rule)] : nullptr,
                           s.dtype, from.op == RecipeStep::Op::Read ? from.name : std::string());
    }
    case RecipeStep::Op::Stack:
    case RecipeStep::Op::Concat: {
        std::vector<std::shared_ptr<const std::vector<char>>> held;
        std::vector<const std::vector<char> *> parts;
        std::vector<std::vector<int64_t>> shapes;
        for (size_t i = 0; i < s.operands.size(); ++i) {
            held.push_back(operand(i));
            parts.push_back(held.back().get());
            std::vector<int64_t> shape = shapeOf(i);
            if (s.op == RecipeStep::Op::Stack) shape.insert(shape.begin() + s.axis, 1);
            shapes.push_back(std::move(shape));
        }
        return layout::concat(parts, shapes, s.axis, elementSize(s));
    }
    case RecipeStep::Op::Slice:
        return layout::slice(*operand(0), shapeOf(0), s.axis, s.start, s.squeeze ? 1 : s.shape[size_t(s.axis)],
                             elementSize(s));
    case RecipeStep::Op::Transpose: return layout::permute(*operand(0), shapeOf(0), s.dims, elementSize(s));
    case RecipeStep::Op::Reshape: return *operand(0);
    case RecipeStep::Op::Lora: {
        const auto w = operand(0), a = operand(1), b = operand(2);
        LoraRequest request{dataOf(*w, m_book.steps[size_t(s.operands[0])]), dataOf(*a, m_book.steps[size_t(s.operands[1])]),
                            dataOf(*b, m_book.steps[size_t(s.operands[2])]), s.scale, s.transposed};
        auto out = loadedBackend().lora(request);
        if (!out) throw std::runtime_error("lora: " + out.error().message);
        return std::move(*out);
    }
    case RecipeStep::Op::Merge: {
        const Rule &r = m_rules.rules[size_t(s.rule)];
        std::vector<std::shared_ptr<const std::vector<char>>> held;
        MergeRequest request = mergeRequest(s, r);
        for (size_t i = 0; i < s.operands.size(); ++i) {
            held.push_back(operand(i));
            request.inputs.push_back(dataOf(*held.back(), m_book.steps[size_t(s.operands[i])]));
        }
        auto out = loadedBackend().merge(request);
        if (!out) throw std::runtime_error(r.method + " merge: " + out.error().message);
        return std::move(*out);
    }
    case RecipeStep::Op::Shift: return shifted(*operand(0), s.dtype, s.by);
    }
    throw std::runtime_error("unknown recipe step");
}

std::optional<RecipeBytes::FileSpan> RecipeBytes::fileSpan(int step) const
{
    const RecipeStep &s = m_book.steps[size_t(step)];
    if (s.op != RecipeStep::Op::Read) return std::nullopt;
    const Checkpoint &c = checkpointOf(s.source);
    const TensorInfo &t = c.tensors()[size_t(c.entries()[s.entry].tensor)];
    const auto offset = plainByteOffset(c, t);
    if (!offset) return std::nullopt;
    return FileSpan{s.source, &c.storages()[size_t(t.storage)], *offset, t.nbytes()};
}

void RecipeBytes::writeSpan(const FileSpan &span, const Sink &sink)
{
    readStorageInPieces(checkpointOf(span.source), readerOf(span.source), *span.storage, span.offset, span.size, sink);
}

/// Linear and task-arithmetic merges are element by element: a piece of every input makes
/// the same piece of the result.
bool RecipeBytes::writeMergeInPieces(const RecipeStep &s, const Sink &sink)
{
    const Rule &r = m_rules.rules[size_t(s.rule)];
    if (r.method != "linear" && r.method != "task_arithmetic") return false;
    std::vector<FileSpan> spans;
    for (int o : s.operands) {
        auto span = fileSpan(o);
        if (!span) return false;
        spans.push_back(*span);
    }
    int64_t numel = 1;
    for (int64_t d : s.shape) numel *= d;
    constexpr int64_t kElements = int64_t(1) << 20;
    std::vector<std::vector<char>> pieces(spans.size());
    for (int64_t first = 0; first < numel; first += kElements) {
        const int64_t n = std::min(kElements, numel - first);
        MergeRequest request = mergeRequest(s, r);
        for (size_t i = 0; i < spans.size(); ++i) {
            const RecipeStep &in = m_book.steps[size_t(s.operands[i])];
            const uint64_t item = uint64_t(dtypeBits(in.dtype) / 8);
            pieces[i].resize(size_t(uint64_t(n) * item));
            readStorage(checkpointOf(spans[i].source), readerOf(spans[i].source), *spans[i].storage,
                        spans[i].offset + uint64_t(first) * item, pieces[i].data(), pieces[i].size());
            request.inputs.push_back(TensorData{pieces[i].data(), in.dtype, {n}});
        }
        auto out = loadedBackend().merge(request);
        if (!out) throw std::runtime_error(r.method + " merge: " + out.error().message);
        sink(out->data(), out->size());
    }
    return true;
}

void RecipeBytes::write(int step, const Sink &sink)
{
    const RecipeStep &s = m_book.steps[size_t(step)];
    switch (s.op) {
    case RecipeStep::Op::Read:
        if (auto span = fileSpan(step)) return writeSpan(*span, sink);
        break;
    case RecipeStep::Op::Reshape: return write(s.operands[0], sink);
    case RecipeStep::Op::Stack:
    case RecipeStep::Op::Concat:
        if (s.axis != 0) break;
        for (int o : s.operands) write(o, sink);
        return;
    case RecipeStep::Op::Slice:
        if (s.axis != 0) break;
        if (auto span = fileSpan(s.operands[0])) {
            const uint64_t row = span->size / uint64_t(std::max<int64_t>(1, m_book.steps[size_t(s.operands[0])].shape[0]));
            const uint64_t length = uint64_t(s.squeeze ? 1 : s.shape[0]);
            return writeSpan({span->source, span->storage, span->offset + uint64_t(s.start) * row, length * row}, sink);
        }
        break;
    case RecipeStep::Op::Merge:
        if (writeMergeInPieces(s, sink)) return;
        break;
    default: break;
    }
    const std::vector<char> whole = bytes(step);
    sink(whole.data(), whole.size());
}

} // namespace ckpt
