#pragma once

#include "model/pickle/safety_report.h"

#include <string>
#include <vector>

namespace ckpt {

/// For a file that cannot be read as a checkpoint: the dangerous globals its pickles name
/// before they go wrong (a pickle that calls os.system and then has a truncated tail or a bad
/// memo key is dangerous, not just unreadable). Runs each pickle record of a zip, else the
/// file as a pickle stream, up to its first error; nothing is called. Empty when none is found
/// (or the file is no pickle at all).
std::vector<GlobalUse> dangerousGlobalsBeforeError(const std::string &path);

} // namespace ckpt
