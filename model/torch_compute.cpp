// The LibTorch side of the compute plugin (libckpt_compute.so). Nothing else links LibTorch.
#include "tensor_stats.h"

#include <torch/torch.h>

#include <cmath>
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

private:
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
