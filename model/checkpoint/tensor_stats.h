#pragma once

#include "model/checkpoint/checkpoint.h"
#include "model/compute/compute_backend.h"
#include "model/base/result.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ckpt {

/// The view of entries()[entry]'s bytes in its mapping that the compute backend takes; errors
/// name what is missing (a meta tensor has no data, a compressed record cannot be viewed).
Result<StatsRequest> tensorView(const Checkpoint &checkpoint, size_t entry, int bins = 100);

/// Statistics of the tensor at entries()[entry]. Errors name what is missing (a meta tensor
/// has no data, a compressed record cannot be viewed, a dtype LibTorch 1.13 lacks).
Result<TensorStats> tensorStats(const Checkpoint &checkpoint, size_t entry, int bins = 100,
                                const std::atomic<bool> *cancel = nullptr,
                                const ProgressFn &progress = {});

} // namespace ckpt
