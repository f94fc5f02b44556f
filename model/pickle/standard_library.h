#pragma once

#include <string_view>

namespace ckpt {

/// Whether `module` ("os.path", "_io", "__builtin__", "httplib") belongs to Python's standard
/// library, today's or Python 2's.
bool isStandardLibrary(std::string_view module);

} // namespace ckpt
