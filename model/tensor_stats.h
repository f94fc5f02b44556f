#pragma once

#include "checkpoint.h"
#include "result.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ckpt {

/// Statistics of one tensor's values, computed by LibTorch over the mapped bytes.
struct TensorStats
{
    int64_t count = 0;     ///< elements
    int64_t finite = 0;    ///< elements that are neither NaN nor infinite
    int64_t zeros = 0;
    int64_t nans = 0;
    int64_t infs = 0;
    double min = 0, max = 0, mean = 0;
    double std = 0;        ///< unbiased, like torch.std
    double l2 = 0;         ///< of the finite values
    std::vector<int64_t> histogram; ///< equal-width bins over [histMin, histMax]
    double histMin = 0, histMax = 0;
    std::string note;      ///< how values were read (complex magnitude, raw quantized ints)
};

/// What the compute backend needs: a view into storage bytes that stay mapped meanwhile.
struct StatsRequest
{
    const uint8_t *storage = nullptr; ///< first byte of the storage
    uint64_t storageBytes = 0;
    DType dtype = DType::Float32;
    std::vector<int64_t> shape, strides;
    int64_t offset = 0;               ///< elements
    int bins = 100;
};

using ProgressFn = std::function<void(double fraction)>;

/// LibTorch-backed tensor math. It lives in a plugin (libckpt_compute.so) loaded on first
/// use: linking LibTorch into the executables would cost every start ~0.6 s.
class ComputeBackend
{
public:
    virtual ~ComputeBackend() = default;
    /// Cancelled (cancel set) returns Error{"cancelled"}.
    virtual Result<TensorStats> stats(const StatsRequest &request, const std::atomic<bool> *cancel,
                                      const ProgressFn &progress) const = 0;
    /// Converts `count` contiguous elements as Tensor.to(dtype) does (round to nearest even).
    virtual Result<bool> convert(const void *source, DType from, void *destination, DType to,
                                 size_t count) const = 0;
};

/// Loads the plugin once (thread-safe); later calls return the same backend.
Result<const ComputeBackend *> computeBackend();

/// Statistics of the tensor at entries()[entry]. Errors name what is missing (a meta tensor
/// has no data, a compressed record cannot be viewed, a dtype LibTorch 1.13 lacks).
Result<TensorStats> tensorStats(const Checkpoint &checkpoint, size_t entry, int bins = 100,
                                const std::atomic<bool> *cancel = nullptr,
                                const ProgressFn &progress = {});

} // namespace ckpt
