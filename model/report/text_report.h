#pragma once

#include "model/checkpoint/checkpoint.h"

#include <string>

namespace ckpt {

/// The summary block: format, size, totals, bytes by dtype, weights candidates, safety.
std::string summaryText(const Checkpoint &checkpoint, const std::string &path);

/// `ckpt inspect`: a table (name, dtype, shape, parameters, size; '*' marks shared storage)
/// followed by the summary.
std::string inspectText(const Checkpoint &checkpoint, const std::string &path);

} // namespace ckpt
