#pragma once

#include "model/checkpoint/checkpoint.h"

#include <ostream>
#include <string>

namespace ckpt {

/// `ckpt inspect --json`: one JSON object with format, file_size, tensors (path, dtype,
/// shape, nbytes, storage, offset, ...), totals, weights candidates, metadata, warnings.
std::string inspectJson(const Checkpoint &checkpoint, const std::string &path);
/// The same, streamed to `out` as it is produced (no copy of the whole text in memory).
void writeInspectJson(std::ostream &out, const Checkpoint &checkpoint, const std::string &path);


} // namespace ckpt
