#pragma once

#include "model/checkpoint/checkpoint.h"

#include <string>

namespace ckpt {

/// The summary block: format, size, totals, bytes by dtype, weights candidates, safety.
std::string summaryText(const Checkpoint &checkpoint, const std::string &path);

/// `ckpt inspect`: a table (name, dtype, shape, parameters, size; '*' marks shared storage)
/// followed by the summary.
std::string inspectText(const Checkpoint &checkpoint, const std::string &path);

/// `ckpt scan`: every global by category, the weights_only verdicts and a one-line verdict.
std::string scanText(const Checkpoint &checkpoint, const std::string &path);
/// `ckpt scan` of a file that could not be read, whose pickles name dangerous code before
/// the point where they go wrong.
std::string unreadableScanText(const std::string &path, const std::string &error, const std::vector<GlobalUse> &dangerous);

} // namespace ckpt
