#pragma once

#include "model/checkpoint/checkpoint.h"
#include "model/compute/compute_backend.h"
#include "model/base/result.h"
#include "model/rules/rule_set.h"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace ckpt {

/// One name of two checkpoints' weights, side by side.
struct TensorDiff
{
    enum class Status { Identical, Changed, Added, Removed, ShapeChanged, DtypeChanged };
    Status status = Status::Identical;
    std::string name;                 ///< after the config's renames
    int a = -1, b = -1;               ///< entries in each checkpoint (-1: not on that side); for a
                                      ///< tensor the config's layout rules make, the entry it is made from
    int sideA = -1, sideB = -1;       ///< index into each side of DiffReport::sides
    std::vector<int64_t> shapeA, shapeB;
    DType dtypeA = DType::Unknown, dtypeB = DType::Unknown;
    int64_t numel = 0;
    /// Changed and dtype-changed tensors (values compared in float64): the rest are zero.
    bool hasMetrics = false;
    double maxAbs = 0, meanAbs = 0, relL2 = 0, cosine = 1;
    double l2Diff = 0, l2A = 0;       ///< for the per-module totals
    int64_t changedElements = 0;
    int module = -1;                  ///< index into DiffReport::modules (-1: only in B)
    std::string error;                ///< why values could not be compared (meta, quantized)
};

/// How far a module moved: sqrt(sum ||a-b||^2) / sqrt(sum ||a||^2) over its compared tensors.
struct ModuleChange
{
    std::string module;               ///< the name without its last part ("layer1.0.conv1")
    int64_t parameters = 0;
    double relChange = 0;
    size_t changed = 0, tensors = 0;
    int firstTensor = -1;             ///< index into DiffReport::tensors of its first tensor
};

/// Each side's weights as the config leaves them (internal to the diff).
struct DiffSides;

struct DiffReport
{
    std::vector<TensorDiff> tensors;  ///< A's order, then what only B has
    std::vector<ModuleChange> modules;///< model order
    size_t identical = 0, changed = 0, added = 0, removed = 0, shapeChanged = 0, dtypeChanged = 0;
    int64_t parametersA = 0;
    int64_t parametersChanged = 0;    ///< in changed and dtype-changed tensors
    int64_t elementsChanged = 0;      ///< elements whose values differ
    bool identicalOverall() const { return changed + added + removed + shapeChanged + dtypeChanged == 0; }
    std::shared_ptr<const DiffSides> sides; ///< what tensorDelta(report, ...) reads values through
};

std::string_view diffStatusName(TensorDiff::Status status);

struct DiffOptions
{
    /// Its enabled renames, drops and layout rules (transpose, reshape, stack, concat, unstack,
    /// split, permute_heads, unpermute_heads, shift) run on both sides, each where it matches:
    /// a converted file is compared as the conversion leaves it.
    const RuleSet *rules = nullptr;
};

/// Streams both checkpoints' weights tensor by tensor: equal bytes are found by comparing
/// them before any math; changed tensors go through the LibTorch plugin in float64 chunks,
/// and pages are released as the scan moves on, so memory stays bounded. Errors are one line.
Result<DiffReport> diffCheckpoints(const Checkpoint &a, const Checkpoint &b, const DiffOptions &options = {},
                                   const std::atomic<bool> *cancel = nullptr, const ProgressFn &progress = {});

/// The difference of a report's tensor `d` (on both sides, the same shape), with a histogram
/// of a - b (`bins` bins); `sides` is the report's.
Result<TensorDelta> tensorDelta(const Checkpoint &a, const Checkpoint &b, const DiffSides &sides, const TensorDiff &d,
                                int bins, const std::atomic<bool> *cancel = nullptr);

} // namespace ckpt
