#pragma once

#include "model/base/result.h"

#include <string>

namespace ckpt {

/// Writes `text` to a temporary file in the destination's folder, flushes it to disk and
/// renames it into place: readers see the old file or the whole new one, never a part.
/// On failure the temporary file is removed and the old file is untouched.
Result<bool> writeFileAtomically(const std::string &path, const std::string &text);

} // namespace ckpt
