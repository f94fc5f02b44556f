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

/// `ckpt scan --json`: every global with its category, dangerous or not, and the
/// weights_only verdicts of PyTorch 1.13 and >= 2.6.
std::string scanJson(const Checkpoint &checkpoint, const std::string &path);
/// {file, error, dangerous: true, globals: [...]}: scan JSON of an unreadable file that names
/// dangerous code before its error.
std::string unreadableScanJson(const std::string &path, const std::string &error, const std::vector<GlobalUse> &dangerous);


} // namespace ckpt
