// The LibTorch side of the compute plugin (libckpt_compute.so). Nothing else links LibTorch.
#include "model/base/square_side.h"
#include "model/compute/compute_backend.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <limits>

namespace ckpt {
namespace {

struct TorchType
{
    torch::ScalarType type;
    const char *note;
};

/// How a dtype's bytes are viewed by LibTorch 1.13; quantized storages as their raw integers.
std::optional<TorchType> torchType(DType d)
{
    switch (d) {
    case DType::Bool: return TorchType{torch::kBool, ""};
    case DType::UInt8: return TorchType{torch::kByte, ""};
    case DType::Int8: return TorchType{torch::kChar, ""};
    case DType::Int16: return TorchType{torch::kShort, ""};
    case DType::Int32: return TorchType{torch::kInt, ""};
    case DType::Int64: return TorchType{torch::kLong, ""};
    case DType::Float16: return TorchType{torch::kHalf, ""};
    case DType::BFloat16: return TorchType{torch::kBFloat16, ""};
    case DType::Float32: return TorchType{torch::kFloat, ""};
    case DType::Float64: return TorchType{torch::kDouble, ""};
    case DType::Complex32: return TorchType{torch::kComplexHalf, "magnitudes of complex values"};
    case DType::Complex64: return TorchType{torch::kComplexFloat, "magnitudes of complex values"};
    case DType::Complex128: return TorchType{torch::kComplexDouble, "magnitudes of complex values"};
    case DType::QInt8: return TorchType{torch::kChar, "raw quantized integers (not dequantized)"};
    case DType::QUInt8: return TorchType{torch::kByte, "raw quantized integers (not dequantized)"};
    case DType::QInt32: return TorchType{torch::kInt, "raw quantized integers (not dequantized)"};
    case DType::QUInt4x2:
    case DType::QUInt2x4: return TorchType{torch::kByte, "raw packed bytes (not dequantized)"};
    default: return std::nullopt;
    }
}

class Accumulator final
{
public:
    void add(const torch::Tensor &x) // x: float64, one chunk
    {
        count += x.numel();
        nans += torch::isnan(x).sum().item<int64_t>();
        infs += torch::isinf(x).sum().item<int64_t>();
        zeros += (x == 0).sum().item<int64_t>();
        const torch::Tensor f = x.masked_select(torch::isfinite(x));
        const int64_t n = f.numel();
        if (n == 0) return;
        const double cmin = f.min().item<double>(), cmax = f.max().item<double>();
        const double cmean = f.mean().item<double>();
        const double cm2 = (f - cmean).pow(2).sum().item<double>();
        sumsq += f.pow(2).sum().item<double>();
        // Chan et al.: merge (n, mean, M2) of two parts without losing precision.
        const double delta = cmean - mean;
        const int64_t total = finite + n;
        mean += delta * double(n) / double(total);
        m2 += cm2 + delta * delta * double(finite) * double(n) / double(total);
        finite = total;
        min = std::min(min, cmin);
        max = std::max(max, cmax);
    }

    int64_t count = 0, finite = 0, zeros = 0, nans = 0, infs = 0;
    double min = std::numeric_limits<double>::infinity();
    double max = -std::numeric_limits<double>::infinity();
    double mean = 0, m2 = 0, sumsq = 0;
};

class TorchBackend final : public ComputeBackend
{
public:
    Result<TensorStats> stats(const StatsRequest &r, const std::atomic<bool> *cancel,
                              const ProgressFn &progress) const override
    {
        const auto type = torchType(r.dtype);
        if (!type)
            return Error{"statistics for " + std::string(dtypeName(r.dtype)) +
                         " need a newer LibTorch than 1.13"};
        try {
            return compute(r, *type, cancel, progress);
        } catch (const c10::Error &e) {
            std::string msg = e.what_without_backtrace();
            return Error{msg.substr(0, msg.find('\n'))};
        } catch (const std::exception &e) {
            return Error{e.what()};
        }
    }

    Result<bool> convert(const void *source, DType from, void *destination, DType to,
                         size_t count) const override
    {
        const auto a = torchType(from), b = torchType(to);
        if (!a || !b || isQuantized(from) || isQuantized(to))
            return Error{"cannot convert " + std::string(dtypeName(from)) + " to " + std::string(dtypeName(to))};
        try {
            torch::Tensor in = torch::from_blob(const_cast<void *>(source), {int64_t(count)},
                                                torch::TensorOptions().dtype(a->type));
            torch::Tensor out = torch::from_blob(destination, {int64_t(count)}, torch::TensorOptions().dtype(b->type));
            out.copy_(in);
            return true;
        } catch (const c10::Error &e) {
            std::string msg = e.what_without_backtrace();
            return Error{msg.substr(0, msg.find('\n'))};
        }
    }

    Result<std::vector<char>> resize(const ResizeRequest &r) const override
    {
        return guarded<std::vector<char>>([&] { return resized(r); });
    }

    Result<std::vector<char>> fill(const FillRequest &r) const override
    {
        return guarded<std::vector<char>>([&] {
            const auto type = torchType(r.dtype);
            if (!type || isQuantized(r.dtype)) throw std::runtime_error("cannot fill a " + std::string(dtypeName(r.dtype)) + " tensor");
            torch::Tensor t;
            if (r.fill == "ones") t = torch::ones(r.shape, type->type);
            else if (r.fill == "normal") t = normal(r.shape, r.stddev > 0 ? r.stddev : 0.02, r.seed).to(type->type);
            else t = torch::zeros(r.shape, type->type);
            return bytesOf(t);
        });
    }

    Result<std::vector<char>> lora(const LoraRequest &r) const override
    {
        return guarded<std::vector<char>>([&] {
            const torch::Dtype work = r.weight.dtype == DType::Float64 ? torch::kDouble : torch::kFloat;
            const torch::Tensor w = tensorOf(r.weight);
            torch::Tensor delta = torch::matmul(tensorOf(r.b).to(work), tensorOf(r.a).to(work));
            if (r.transposed) delta = delta.t();
            const torch::Tensor out = (w.to(work) + delta * r.scale).to(w.scalar_type());
            return bytesOf(out.contiguous());
        });
    }

    Result<std::vector<char>> merge(const MergeRequest &r) const override
    {
        return guarded<std::vector<char>>([&] { return merged(r); });
    }

    Result<ScriptModuleInfo> scriptModule(const std::string &path) const override
    {
        return guarded<ScriptModuleInfo>([&] {
            torch::jit::Module module = torch::jit::load(path, torch::kCPU);
            ScriptModuleInfo info;
            walk(module, "", info);
            return info;
        });
    }

    Result<TensorDelta> delta(const DeltaRequest &r, const std::atomic<bool> *cancel) const override
    {
        return guarded<TensorDelta>([&] { return deltaOf(r, cancel); });
    }

private:
    /// The first line of a LibTorch message that says something (they can start with blank lines).
    static std::string firstLine(std::string_view msg)
    {
        while (!msg.empty() && (msg.front() == '\n' || msg.front() == ' ' || msg.front() == '\r')) msg.remove_prefix(1);
        const std::string line(msg.substr(0, msg.find('\n')));
        return line.empty() ? std::string("LibTorch gave no reason") : line;
    }

    template <typename T, typename F>
    static Result<T> guarded(F &&f)
    {
        try {
            return f();
        } catch (const c10::Error &e) {
            return Error{firstLine(e.what_without_backtrace())};
        } catch (const std::exception &e) {
            return Error{firstLine(e.what())};
        }
    }

    static std::vector<char> bytesOf(const torch::Tensor &t)
    {
        const torch::Tensor c = t.contiguous();
        std::vector<char> out(size_t(c.numel()) * c.element_size());
        if (!out.empty()) std::memcpy(out.data(), c.data_ptr(), out.size());
        return out;
    }

    static torch::Tensor normal(const std::vector<int64_t> &shape, double stddev, uint64_t seed)
    {
        auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
        return torch::normal(0.0, stddev, shape, generator, torch::TensorOptions().dtype(torch::kFloat));
    }

    /// A 2-D grid per channel ([C, H, W]) resampled to size x size, bicubic, corners not
    /// aligned (timm's resample_abs_pos_embed and resize_rel_pos_bias_table).
    static torch::Tensor bicubic(const torch::Tensor &grid, int64_t size)
    {
        namespace F = torch::nn::functional;
        return F::interpolate(grid.unsqueeze(0), F::InterpolateFuncOptions()
                                                     .size(std::vector<int64_t>{size, size})
                                                     .mode(torch::kBicubic)
                                                     .align_corners(false))
            .squeeze(0);
    }

    static torch::Tensor tensorOf(const TensorData &d)
    {
        const auto type = torchType(d.dtype);
        if (!type || isQuantized(d.dtype) || isComplex(d.dtype))
            throw std::runtime_error("cannot compute with a " + std::string(dtypeName(d.dtype)) + " tensor");
        return torch::from_blob(const_cast<void *>(d.data), d.shape, torch::TensorOptions().dtype(type->type));
    }

    /// mergekit's definitions: linear (normalized weighted mean), task arithmetic (base plus
    /// the weighted task vectors), SLERP (of the base and one other, over the whole tensor),
    /// TIES (task vectors trimmed to their largest `density`, signs elected by the weighted
    /// sum, the agreeing parts averaged by their weights).
    static std::vector<char> merged(const MergeRequest &r)
    {
        const torch::Dtype work = r.inputs.front().dtype == DType::Float64 ? torch::kDouble : torch::kFloat;
        const auto outType = torchType(r.out);
        if (!outType) throw std::runtime_error("cannot write a merge as " + std::string(dtypeName(r.out)));
        std::vector<torch::Tensor> x;
        for (const auto &in : r.inputs) x.push_back(tensorOf(in).to(work));
        torch::Tensor out;
        if (r.method == "linear") {
            out = torch::zeros_like(x[0]);
            double total = 0;
            for (size_t i = 0; i < x.size(); ++i) {
                out.add_(x[i], r.weights[i]);
                total += r.weights[i];
            }
            out.div_(total);
        } else if (r.method == "slerp") {
            out = slerp(r.t, x[0], x[1]);
        } else {
            const torch::Tensor &base = x[0];
            std::vector<torch::Tensor> deltas;
            for (size_t i = 1; i < x.size(); ++i) {
                torch::Tensor d = x[i] - base;
                if (r.method == "ties") d = magnitudeKept(d, r.density);
                deltas.push_back(d * r.weights[i]);
            }
            const torch::Tensor stacked = torch::stack(deltas);
            std::vector<double> w(r.weights.begin() + 1, r.weights.end());
            torch::Tensor weights = torch::tensor(w, torch::TensorOptions().dtype(work));
            while (weights.dim() < stacked.dim()) weights = weights.unsqueeze(-1);
            if (r.method == "ties") {
                const torch::Tensor majority = (stacked.sum(0) >= 0).to(work) * 2 - 1;
                const torch::Tensor mask = (stacked.sign() == majority).to(work);
                torch::Tensor divisor = (weights * mask).sum(0);
                divisor.masked_fill_(divisor == 0, 1);
                out = base + (stacked * mask).sum(0) / divisor;
            } else {
                out = base + stacked.sum(0);
            }
        }
        return bytesOf(out.to(outType->type).contiguous());
    }

    /// The largest `density` of |x| kept (at least one element), the rest zero.
    static torch::Tensor magnitudeKept(const torch::Tensor &x, double density)
    {
        if (density >= 1) return x;
        const int64_t k = std::max<int64_t>(1, int64_t(density * double(x.numel())));
        const torch::Tensor flat = x.abs().reshape({-1});
        const torch::Tensor top = std::get<1>(torch::topk(flat, k));
        torch::Tensor mask = torch::zeros_like(flat);
        mask.index_fill_(0, top, 1);
        return x * mask.reshape(x.sizes());
    }

    static torch::Tensor slerp(double t, const torch::Tensor &v0, const torch::Tensor &v1)
    {
        constexpr double kDotThreshold = 0.9995, kEps = 1e-8;
        const double n0 = v0.norm().item<double>(), n1 = v1.norm().item<double>();
        const double dot = std::clamp(((v0 / (n0 > kEps ? n0 : 1)) * (v1 / (n1 > kEps ? n1 : 1))).sum().item<double>(), -1.0, 1.0);
        if (std::abs(dot) > kDotThreshold) return v0 * (1 - t) + v1 * t;
        const double theta = std::acos(dot), sinTheta = std::sin(theta);
        return v0 * (std::sin((1 - t) * theta) / sinTheta) + v1 * (std::sin(t * theta) / sinTheta);
    }

    static std::vector<char> resized(const ResizeRequest &r)
    {
        const auto type = torchType(r.dtype);
        if (!type || isQuantized(r.dtype) || isComplex(r.dtype))
            throw std::runtime_error("cannot resize a " + std::string(dtypeName(r.dtype)) + " tensor");
        torch::Tensor in = torch::from_blob(const_cast<void *>(r.data), r.from, torch::TensorOptions().dtype(type->type));
        torch::Tensor out;
        if (r.method == "pos_embed") {
            const bool batched = r.from.size() == 3;
            torch::Tensor x = (batched ? in[0] : in).to(torch::kFloat);
            const int64_t p = r.prefixTokens, dim = x.size(1);
            const int64_t oldSide = squareSide(x.size(0) - p).value();
            const int64_t newSide = squareSide(r.to[batched ? 1 : 0] - p).value();
            torch::Tensor prefix = x.slice(0, 0, p);
            torch::Tensor grid = x.slice(0, p).reshape({oldSide, oldSide, dim}).permute({2, 0, 1});
            torch::Tensor g = bicubic(grid, newSide).permute({1, 2, 0}).reshape({newSide * newSide, dim});
            out = torch::cat({prefix, g}, 0);
            if (batched) out = out.unsqueeze(0);
        } else if (r.method == "rel_pos_table") {
            const int64_t heads = r.from[1];
            const int64_t oldSide = squareSide(r.from[0]).value(), newSide = squareSide(r.to[0]).value();
            torch::Tensor grid = in.to(torch::kFloat).reshape({oldSide, oldSide, heads}).permute({2, 0, 1});
            out = bicubic(grid, newSide).permute({1, 2, 0}).reshape({newSide * newSide, heads});
        } else if (r.method == "rows") {
            const int64_t have = r.from[0], want = r.to[0];
            if (want <= have) {
                out = in.slice(0, 0, want);
            } else {
                std::vector<int64_t> extra = r.to;
                extra[0] = want - have;
                torch::Tensor rows;
                if (r.fill == "mean") {
                    rows = (have ? in.to(torch::kDouble).mean(0, true) : torch::zeros(std::vector<int64_t>(extra.size(), 1), torch::kDouble))
                               .expand(extra);
                } else if (r.fill == "normal") {
                    const double std = r.stddev > 0 ? r.stddev : have > 1 ? in.to(torch::kDouble).std().item<double>() : 0.02;
                    rows = normal(extra, std, r.seed);
                } else {
                    rows = torch::zeros(extra, torch::kDouble);
                }
                out = torch::cat({in, rows.to(in.scalar_type())}, 0);
            }
        } else {
            throw std::runtime_error("unknown resize method " + r.method);
        }
        out = out.to(type->type).contiguous();
        if (out.sizes().vec() != r.to) throw std::runtime_error("the resize gave another shape than asked");
        return bytesOf(out);
    }

    static std::string className(const torch::jit::Module &m)
    {
        std::string name = m.type()->name() ? m.type()->name()->name() : std::string();
        return name;
    }

    /// state_dict order: a module's parameters, its buffers, then its children.
    static void walk(const torch::jit::Module &m, const std::string &prefix, ScriptModuleInfo &info)
    {
        const std::string type = className(m);
        info.modules.emplace_back(prefix.empty() ? std::string() : prefix.substr(0, prefix.size() - 1), type);
        auto add = [&](const std::string &name, const torch::Tensor &t, bool parameter) {
            ScriptTensor s;
            s.name = prefix + name;
            s.shape = t.sizes().vec();
            s.dtype = fromTorch(t.scalar_type());
            s.parameter = parameter;
            s.moduleType = type;
            info.tensors.push_back(std::move(s));
        };
        for (const auto &p : m.named_parameters(false)) add(p.name, p.value, true);
        for (const auto &b : m.named_buffers(false)) add(b.name, b.value, false);
        for (const auto &c : m.named_children()) walk(c.value, prefix + c.name + ".", info);
    }

    static DType fromTorch(torch::ScalarType t)
    {
        for (DType d : {DType::Bool, DType::UInt8, DType::Int8, DType::Int16, DType::Int32, DType::Int64, DType::Float16,
                        DType::BFloat16, DType::Float32, DType::Float64, DType::Complex64, DType::Complex128})
            if (torchType(d)->type == t) return d;
        return DType::Unknown;
    }

    static torch::Tensor flatView(const StatsRequest &r)
    {
        const auto type = torchType(r.dtype);
        if (!type || isQuantized(r.dtype))
            throw std::runtime_error("cannot compare " + std::string(dtypeName(r.dtype)) + " values");
        const int64_t itemBytes = int64_t(c10::elementSize(type->type));
        auto *first = const_cast<uint8_t *>(r.storage) + r.offset * itemBytes;
        torch::Tensor view = torch::from_blob(first, r.shape, r.strides, torch::TensorOptions().dtype(type->type));
        return view.is_contiguous() ? view.view({-1}) : view.reshape({-1});
    }

    static TensorDelta deltaOf(const DeltaRequest &r, const std::atomic<bool> *cancel)
    {
        const torch::Tensor a = flatView(r.a), b = flatView(r.b);
        if (a.numel() != b.numel()) throw std::runtime_error("the tensors differ in size");
        const int64_t n = a.numel();
        constexpr int64_t kChunk = int64_t(1) << 16; // ~10 passes per chunk stay in cache: 2.6x faster than 4M
        auto part = [&](const torch::Tensor &x, int64_t begin) {
            torch::Tensor c = x.slice(0, begin, std::min(n, begin + kChunk));
            return c.is_complex() ? c.to(torch::kComplexDouble) : c.to(torch::kDouble);
        };
        TensorDelta d;
        double sumAbs = 0, sumSq = 0, sumA = 0, sumB = 0, dot = 0;
        double minDiff = std::numeric_limits<double>::infinity(), maxDiff = -minDiff;
        double minValue = minDiff, maxValue = maxDiff;
        for (int64_t at = 0; at < n; at += kChunk) {
            if (cancel && cancel->load(std::memory_order_relaxed)) throw std::runtime_error("cancelled");
            const torch::Tensor x = part(a, at), y = part(b, at);
            const torch::Tensor diff = x - y;
            const torch::Tensor absDiff = diff.abs();
            d.maxAbs = std::max(d.maxAbs, absDiff.max().item<double>());
            sumAbs += absDiff.sum().item<double>();
            d.changed += (x != y).sum().item<int64_t>();
            if (x.is_complex()) {
                sumSq += absDiff.pow(2).sum().item<double>();
                sumA += x.abs().pow(2).sum().item<double>();
                sumB += y.abs().pow(2).sum().item<double>();
                dot += torch::real(x * y.conj()).sum().item<double>();
                continue;
            }
            // Dot products go through BLAS: one pass each.
            sumSq += torch::dot(diff, diff).item<double>();
            sumA += torch::dot(x, x).item<double>();
            sumB += torch::dot(y, y).item<double>();
            dot += torch::dot(x, y).item<double>();
            if (r.a.bins > 0) {
                auto widen = [](const torch::Tensor &t, double &lo, double &hi) {
                    const torch::Tensor f = t.masked_select(torch::isfinite(t));
                    if (!f.numel()) return;
                    lo = std::min(lo, f.min().item<double>());
                    hi = std::max(hi, f.max().item<double>());
                };
                widen(diff, minDiff, maxDiff);
                widen(x, minValue, maxValue);
                widen(y, minValue, maxValue);
            }
        }
        d.meanAbs = n ? sumAbs / double(n) : 0;
        d.l2Diff = std::sqrt(sumSq);
        d.l2A = std::sqrt(sumA);
        d.l2B = std::sqrt(sumB);
        d.dot = dot;
        d.relL2 = d.l2A > 0 ? d.l2Diff / d.l2A : (d.l2Diff > 0 ? std::numeric_limits<double>::infinity() : 0.0);
        d.cosine = d.l2A > 0 && d.l2B > 0 ? dot / (d.l2A * d.l2B) : (d.l2A == d.l2B ? 1.0 : 0.0);
        if (r.a.bins > 0 && minDiff <= maxDiff) {
            d.histMin = minDiff;
            d.histMax = maxDiff > minDiff ? maxDiff : minDiff + 1.0;
            d.valueMin = minValue;
            d.valueMax = maxValue > minValue ? maxValue : minValue + 1.0;
            torch::Tensor hist = torch::zeros({r.a.bins}, torch::kDouble);
            torch::Tensor histA = torch::zeros({r.a.bins}, torch::kDouble), histB = torch::zeros({r.a.bins}, torch::kDouble);
            auto finite = [](const torch::Tensor &t) { return t.masked_select(torch::isfinite(t)); };
            for (int64_t at = 0; at < n; at += kChunk) {
                if (cancel && cancel->load(std::memory_order_relaxed)) throw std::runtime_error("cancelled");
                const torch::Tensor x = part(a, at), y = part(b, at);
                hist += torch::histc(finite(x - y), r.a.bins, d.histMin, d.histMax);
                histA += torch::histc(finite(x), r.a.bins, d.valueMin, d.valueMax);
                histB += torch::histc(finite(y), r.a.bins, d.valueMin, d.valueMax);
            }
            auto counts = [&](const torch::Tensor &h) {
                std::vector<int64_t> out(size_t(r.a.bins));
                for (int i = 0; i < r.a.bins; ++i) out[size_t(i)] = int64_t(h[i].item<double>());
                return out;
            };
            d.histogram = counts(hist);
            d.histogramA = counts(histA);
            d.histogramB = counts(histB);
        }
        return d;
    }

    static Result<TensorStats> compute(const StatsRequest &r, TorchType type,
                                       const std::atomic<bool> *cancel, const ProgressFn &progress)
    {
        const auto options = torch::TensorOptions().dtype(type.type);
        const int64_t itemBytes = int64_t(c10::elementSize(type.type));
        auto *first = const_cast<uint8_t *>(r.storage) + r.offset * itemBytes;
        torch::Tensor view = torch::from_blob(first, r.shape, r.strides, options);
        // Contiguous views are read in place; others are gathered once.
        torch::Tensor flat = view.is_contiguous() ? view.view({-1}) : view.reshape({-1});
        const int64_t n = flat.numel();
        constexpr int64_t kChunk = int64_t(1) << 22;
        auto chunk = [&](int64_t begin) {
            torch::Tensor x = flat.slice(0, begin, std::min(n, begin + kChunk));
            if (x.is_complex()) x = x.abs();
            return x.to(torch::kDouble);
        };
        auto cancelled = [&] { return cancel && cancel->load(std::memory_order_relaxed); };

        Accumulator acc;
        for (int64_t b = 0; b < n; b += kChunk) {
            if (cancelled()) return Error{"cancelled"};
            acc.add(chunk(b));
            if (progress) progress(0.5 * double(b + kChunk) / double(n));
        }
        TensorStats s;
        s.count = acc.count;
        s.finite = acc.finite;
        s.zeros = acc.zeros;
        s.nans = acc.nans;
        s.infs = acc.infs;
        s.note = type.note;
        if (acc.finite == 0) return s;
        s.min = acc.min;
        s.max = acc.max;
        s.mean = acc.mean;
        s.std = acc.finite > 1 ? std::sqrt(acc.m2 / double(acc.finite - 1)) : 0.0;
        s.l2 = std::sqrt(acc.sumsq);
        s.histMin = s.min;
        s.histMax = s.max > s.min ? s.max : s.min + 1.0;
        torch::Tensor hist = torch::zeros({r.bins}, torch::kDouble);
        for (int64_t b = 0; b < n; b += kChunk) {
            if (cancelled()) return Error{"cancelled"};
            torch::Tensor x = chunk(b);
            x = x.masked_select(torch::isfinite(x));
            hist += torch::histc(x, r.bins, s.histMin, s.histMax);
            if (progress) progress(0.5 + 0.5 * double(b + kChunk) / double(n));
        }
        s.histogram.resize(size_t(r.bins));
        for (int i = 0; i < r.bins; ++i) s.histogram[size_t(i)] = int64_t(hist[i].item<double>());
        return s;
    }
};

} // namespace
} // namespace ckpt

extern "C" __attribute__((visibility("default"))) const ckpt::ComputeBackend *ckpt_compute_backend()
{
    static const ckpt::TorchBackend backend;
    return &backend;
}
