#pragma once

#include "cli_args.h"

namespace ckpt::cli {

/// `ckpt inspect PATH... [--json]`
int runInspect(const CliArgs &args);
/// `ckpt scan PATH [--json]`: 0 when nothing dangerous was found, 3 when something was.
int runScan(const CliArgs &args);

} // namespace ckpt::cli
