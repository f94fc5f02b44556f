#pragma once

#include "model/checkpoint/checkpoint.h"

#include <map>
#include <string>

namespace ckpt {

/// Totals for a summary page or the CLI's footer. Tensors referenced from several places
/// count once; storages shared by several tensors count once in storageBytes.
struct CheckpointSummary
{
    std::string format;
    uint64_t fileSize = 0;
    size_t tensorCount = 0;        ///< distinct tensor objects
    size_t entryCount = 0;         ///< places tensors sit (>= tensorCount)
    size_t storageCount = 0;
    size_t sharedStorages = 0;     ///< storages viewed by more than one tensor
    int64_t parameters = 0;        ///< sum of numel over distinct tensors
    uint64_t tensorBytes = 0;      ///< sum of nbytes over distinct tensors
    uint64_t storageBytes = 0;     ///< bytes of all storages, each once
    std::map<std::string, uint64_t> bytesByDtype; ///< over distinct tensors
    std::map<std::string, int64_t> paramsByDtype;
};

CheckpointSummary summarize(const Checkpoint &checkpoint);

/// "1.5 GB" style, decimal units as file managers show them.
std::string humanBytes(uint64_t bytes);
/// "25.6M" style counts.
std::string humanCount(int64_t count);

} // namespace ckpt
