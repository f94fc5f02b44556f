#pragma once

#include "cli_args.h"

namespace ckpt::cli {

/// `ckpt inspect PATH... [--json]`
int runInspect(const CliArgs &args);
/// `ckpt scan PATH [--json | --format text|json|sarif] [--strict]`: 0 when nothing dangerous was
/// found, 3 when something was (or, with --strict, code is needed), else 2 when a file is unreadable.
int runScan(const CliArgs &args);
/// `ckpt plan PATH --config CFG [--json] [--step N]`: 0 no errors, 1 a diagnostic is an error.
int runPlan(const CliArgs &args);
/// `ckpt apply PATH --config CFG -o OUT ...`: 0 written and verified, 1 plan errors (nothing
/// written), 2 unreadable input or a failed write.
int runApply(const CliArgs &args);
/// `ckpt compare PATH --target TARGET [--config CFG] [--json] [--suggest OUT.json]`: 0 when a
/// strict load_state_dict would succeed, 1 when not, 2 unreadable input.
int runCompare(const CliArgs &args);
/// `ckpt diff A B [--config CFG] [--json] [--top N]`: 0 identical, 1 different, 2 unreadable.
int runDiff(const CliArgs &args);

} // namespace ckpt::cli
