#pragma once

#include "model/commands/rules_on_weights.h"
#include "model/export/exporter.h"
#include "model/rules/rule_config.h"

#include <optional>
#include <string>
#include <vector>

namespace ckpt {

/// `ckpt apply`'s choices as words, the way a command line or a Python call gives them; empty
/// means the default.
struct ApplyChoices
{
    std::string output;
    std::string format;    ///< pt, safetensors, npz, gguf; default: from the output's extension, else pt
    std::string ggufType;  ///< "", f32, f16, bf16 or q8_0 (with gguf): the float matrices' type
    std::string optimizer; ///< abort (default), drop, reset
    std::string tied;      ///< duplicate (default), alias
    std::string shardSize; ///< "5GB", "500MB", "2GiB" (with safetensors)
    bool weightsOnly = false;
};

/// The export options the choices name; an error says which choice is wrong and what it takes.
Result<ExportOptions> exportOptionsFor(const ApplyChoices &choices, const std::string &configName);

/// What an apply did: when the plan has errors nothing is written and `planErrors` holds them;
/// else the export's report.
struct ApplyRun
{
    std::vector<std::string> planErrors;
    ExportReport report;
    RulesOnWeights loaded; ///< no weights to plan (a bare tensor, a list copied as it is): no inputs
    Plan plan;
    bool copyOnly = false; ///< no rules and no dict of weights: a faithful copy
    std::string path;
    /// "wrote OUT: 32 weights (...); verified"
    std::string summaryLine(const ExportOptions &options) const;
};

/// Plans the rules on the checkpoint and, when the plan has no errors, writes the output
/// (streamed, verified, renamed into place). An error's `input` names the file at fault.
Result<ApplyRun> runApply(const std::string &path, const ConfigInput &config, const ExportOptions &options,
                          const std::atomic<bool> *cancel = nullptr, const std::function<void(double)> &progress = {});

/// The config with its resolved result, as `--write-config` writes it (empty for a copy).
std::string resolvedConfig(const ApplyRun &run, ConfigFormat format);

} // namespace ckpt
