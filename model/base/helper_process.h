#pragma once

#include "model/base/result.h"

#include <string>
#include <vector>

namespace ckpt {

/// Runs a helper program (argv[0] a path) and returns what it wrote on stdout. LibTorch work
/// on untrusted files that can crash or hang the loader (torch::jit::load) runs this way, so
/// a hostile file costs a failed helper, never the app. Errors: the helper's last stderr
/// line, how it died (signal), or that it took longer than `timeoutSeconds` (then killed).
Result<std::string> runHelper(const std::vector<std::string> &argv, int timeoutSeconds);

/// Where a file shipped beside the programs may be, in order: $`envVariable`, next to the
/// running executable, in ../lib/ckpt-studio, next to the shared object holding this code (the
/// Python package's module), at `buildTreePath` (may be null).
std::vector<std::string> installedCandidates(const std::string &name, const char *envVariable,
                                             const char *buildTreePath);

/// The first of installedCandidates() that is an executable; empty when none is.
std::string findHelper(const std::string &name, const char *envVariable, const char *buildTreePath);

} // namespace ckpt
