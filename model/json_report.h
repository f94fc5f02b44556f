#pragma once

#include "checkpoint.h"

#include <string>

namespace ckpt {

/// `ckpt inspect --json`: one JSON object with format, file_size, tensors (path, dtype,
/// shape, nbytes, storage, offset, ...), totals, weights candidates, metadata, warnings.
std::string inspectJson(const Checkpoint &checkpoint, const std::string &path);

/// `ckpt scan --json`: every global with its category, dangerous or not, and the
/// weights_only verdicts of PyTorch 1.13 and >= 2.6.
std::string scanJson(const Checkpoint &checkpoint, const std::string &path);

/// Wraps several reports (each a JSON object text) into one JSON array text.
std::string jsonArray(const std::vector<std::string> &objects);

} // namespace ckpt
