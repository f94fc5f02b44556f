#pragma once

#include "model/base/result.h"
#include "model/checkpoint/checkpoint.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace ckpt {

/// A tensor's values as a consumer outside the core takes them (the Python package): bytes in
/// this machine's order, with the shape and strides that read them. Viewed in place in the
/// mapping when they can be (`inPlace`): a plain, strided or offset view of a storage; else
/// assembled or decoded into `held` (chunks across files, a compressed record, a GGUF block
/// type, big-endian bytes).
struct TensorValues
{
    const uint8_t *data = nullptr; ///< the first byte of the storage (or of `held`)
    uint64_t size = 0;             ///< bytes there
    std::shared_ptr<const std::vector<char>> held;
    DType dtype = DType::Unknown;
    std::vector<int64_t> shape, strides; ///< strides in elements
    int64_t offset = 0;                  ///< elements from `data`
    bool inPlace = false;
};

/// The values of entries()[entry]. Errors say why there are none (a meta tensor, packed
/// quantized elements, a compressed record, bytes that cannot be read).
Result<TensorValues> tensorValues(const Checkpoint &checkpoint, size_t entry);

} // namespace ckpt
