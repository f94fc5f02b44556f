#pragma once

#include "model/base/dtype.h"
#include "model/base/result.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
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
    /// The bytes `storage` points into when they were assembled for the request (a tensor cut
    /// into chunks), not viewed in place.
    std::shared_ptr<const std::vector<char>> held;
    DType dtype = DType::Float32;
    std::vector<int64_t> shape, strides;
    int64_t offset = 0;               ///< elements
    int bins = 100;
};

/// resize(): a resize rule's method applied to contiguous values.
struct ResizeRequest
{
    const void *data = nullptr;
    DType dtype = DType::Float32;
    std::vector<int64_t> from, to;
    std::string method;        ///< pos_embed, rel_pos_table, rows
    std::string fill;          ///< rows: zeros, mean, normal
    int64_t prefixTokens = 0;
    double stddev = 0;         ///< 0: the existing rows' std
    uint64_t seed = 0;
};

struct FillRequest
{
    DType dtype = DType::Float32;
    std::vector<int64_t> shape;
    std::string fill;          ///< zeros, ones, normal
    double stddev = 0.02;
    uint64_t seed = 0;
};

/// A tensor's contiguous bytes, as a request hands it to the backend.
struct TensorData
{
    const void *data = nullptr;
    DType dtype = DType::Float32;
    std::vector<int64_t> shape;
};

/// lora(): weight + scale * (B @ A) (transposed: + scale * (B @ A)^T), as PEFT merges an
/// adapter; computed in float32 (float64 for a float64 weight), written in the weight's dtype.
struct LoraRequest
{
    TensorData weight, a, b;
    double scale = 1;
    bool transposed = false;
};

/// merge(): tensors of one shape merged as mergekit's methods do, computed in float32
/// (float64 when the first input is float64), written in `out`.
struct MergeRequest
{
    std::string method;               ///< linear, task_arithmetic, slerp, ties
    std::vector<TensorData> inputs;   ///< all but linear: the base first
    std::vector<double> weights;      ///< parallel to inputs (the base's is not used)
    double t = 0.5;                   ///< slerp
    double density = 1;               ///< ties
    DType out = DType::Float32;
};

/// One parameter or buffer of a TorchScript module.
struct ScriptTensor
{
    std::string name;
    std::vector<int64_t> shape;
    DType dtype = DType::Unknown;
    bool parameter = false;    ///< false: a buffer
    std::string moduleType;    ///< the owning submodule's class ("LayerNorm")
};

struct ScriptModuleInfo
{
    std::vector<ScriptTensor> tensors; ///< named_parameters, then named_buffers, in module order
    std::vector<std::pair<std::string, std::string>> modules; ///< submodule name -> class
};

/// delta(): two views of mapped bytes, the same shape, compared value by value.
struct DeltaRequest
{
    StatsRequest a, b;         ///< bins: of the difference histogram (0: none)
};

struct TensorDelta
{
    double maxAbs = 0, meanAbs = 0;
    double l2Diff = 0, l2A = 0, l2B = 0, dot = 0;
    double relL2 = 0;          ///< ||a-b|| / ||a|| (inf when ||a|| = 0 and b differs)
    double cosine = 0;         ///< a.b / (||a|| ||b||); 1 when both are zero
    int64_t changed = 0;       ///< elements that differ
    std::vector<int64_t> histogram; ///< of a-b over [histMin, histMax]
    double histMin = 0, histMax = 0;
    std::vector<int64_t> histogramA, histogramB; ///< of a and of b over [valueMin, valueMax]
    double valueMin = 0, valueMax = 0;
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
    /// The bytes of a tensor (contiguous, `from` shape) resized as the resize rule says.
    virtual Result<std::vector<char>> resize(const ResizeRequest &request) const = 0;
    /// A new tensor's bytes: zeros, ones, or a normal draw (mean 0, `std`) from `seed`.
    virtual Result<std::vector<char>> fill(const FillRequest &request) const = 0;
    /// A TorchScript archive's parameters and buffers, read by torch::jit::load.
    virtual Result<ScriptModuleInfo> scriptModule(const std::string &path) const = 0;
    virtual Result<std::vector<char>> lora(const LoraRequest &request) const = 0;
    virtual Result<std::vector<char>> merge(const MergeRequest &request) const = 0;
    /// Per-tensor differences of two tensors of one shape (float64 accumulation).
    virtual Result<TensorDelta> delta(const DeltaRequest &request, const std::atomic<bool> *cancel) const = 0;
};

/// Loads the plugin once (thread-safe); later calls return the same backend.
Result<const ComputeBackend *> computeBackend();
/// computeBackend(), or std::runtime_error with why the plugin did not load.
const ComputeBackend &loadedBackend();

} // namespace ckpt
