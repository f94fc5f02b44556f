#pragma once

#include "model/base/result.h"
#include "model/checkpoint/checkpoint.h"
#include "model/commands/rules_on_weights.h"
#include "model/diff/checkpoint_diff.h"

#include <memory>
#include <string>

namespace ckpt {

/// `ckpt diff A B`: both opened, the config's renames aligning the names.
struct DiffRun
{
    std::shared_ptr<const Checkpoint> a, b;
    DiffReport report;
};
/// An error's `input` names A or B when it is about one side, the config when it is at fault,
/// nothing when it is about the pair.
Result<DiffRun> runDiff(const std::string &pathA, const std::string &pathB, const ConfigInput &config,
                        const std::atomic<bool> *cancel = nullptr);

} // namespace ckpt
