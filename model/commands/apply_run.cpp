#include "model/commands/apply_run.h"

#include <cctype>

namespace ckpt {

Result<ExportOptions> exportOptionsFor(const ApplyChoices &c, const std::string &configName)
{
    ExportOptions options;
    options.output = c.output;
    options.weightsOnly = c.weightsOnly;
    options.configName = configName;
    const std::string format = !c.format.empty()                     ? c.format
                               : c.output.ends_with(".safetensors") ? "safetensors"
                               : c.output.ends_with(".npz")         ? "npz"
                               : c.output.ends_with(".gguf")        ? "gguf"
                                                                    : "pt";
    const std::string optimizer = c.optimizer.empty() ? "abort" : c.optimizer;
    const std::string tied = c.tied.empty() ? "duplicate" : c.tied;
    if (format != "pt" && format != "safetensors" && format != "npz" && format != "gguf")
        return Error{"the format is pt, safetensors, npz or gguf, not '" + format + "'"};
    if (optimizer != "abort" && optimizer != "drop" && optimizer != "reset")
        return Error{"the optimizer choice is abort, drop or reset, not '" + optimizer + "'"};
    if (tied != "duplicate" && tied != "alias") return Error{"tied tensors are duplicate or alias, not '" + tied + "'"};
    std::string ggufType;
    for (char ch : c.ggufType) ggufType += char(std::toupper(static_cast<unsigned char>(ch)));
    if (!ggufType.empty() && (format != "gguf" || (ggufType != "Q8_0" && ggufType != "F32" && ggufType != "F16" &&
                                                   ggufType != "BF16")))
        return Error{"the GGUF type is f32, f16, bf16 or q8_0, with the gguf format; not '" + c.ggufType + "'"};
    options.format = format == "pt"     ? ExportOptions::Format::PyTorch
                     : format == "npz"  ? ExportOptions::Format::Npz
                     : format == "gguf" ? ExportOptions::Format::Gguf
                                        : ExportOptions::Format::Safetensors;
    options.ggufType = ggufType;
    options.optimizer = optimizer == "drop"    ? ExportOptions::Optimizer::Drop
                        : optimizer == "reset" ? ExportOptions::Optimizer::Reset
                                               : ExportOptions::Optimizer::Abort;
    options.tied = tied == "alias" ? ExportOptions::Tied::Alias : ExportOptions::Tied::Duplicate;
    if (!c.shardSize.empty()) {
        const auto bytes = parseByteSize(c.shardSize);
        if (!bytes || options.format != ExportOptions::Format::Safetensors)
            return Error{"the shard size is a size (5GB, 500MB, 2GiB), with the safetensors format"};
        options.shardSize = *bytes;
    }
    return options;
}

std::string ApplyRun::summaryLine(const ExportOptions &options) const
{
    return "wrote " + (report.files.empty() ? options.output : report.files.back()) + ": " + report.summary() +
           "; verified";
}

Result<ApplyRun> runApply(const std::string &path, const ConfigInput &config, const ExportOptions &options,
                          const std::atomic<bool> *cancel, const std::function<void(double)> &progress)
{
    auto rules = loadConfigInput(config);
    if (!rules) return rules.error();
    auto checkpoint = Checkpoint::open(path);
    if (!checkpoint) return Error{checkpoint.error().message, path};
    ApplyRun run;
    run.path = path;
    run.loaded.checkpoint = *checkpoint;
    run.loaded.rules = std::move(*rules);
    run.loaded.rules.metadata = (*checkpoint)->metadata();
    auto inputs = planInputs(**checkpoint, run.loaded.rules.weights);
    auto compiled = CompiledRules::compile(run.loaded.rules);
    // No rules and no dict of weights (a bare tensor, a list): a faithful copy, nothing to plan.
    run.copyOnly = !inputs && run.loaded.rules.rules.empty() && !run.loaded.rules.weights;
    if ((!inputs && !run.copyOnly) || !compiled)
        return Error{!compiled ? compiled.error().message : inputs.error().message, config.given() ? config.path : path};
    run.loaded.compiled = *compiled;
    if (inputs) run.loaded.inputs = std::move(*inputs);
    if (!run.copyOnly) run.plan = run.loaded.compiled->evaluate(run.loaded.inputs);
    // A plan with errors writes nothing, as `ckpt plan` reports it.
    for (const auto &d : run.plan.diagnostics)
        if (d.severity == Diagnostic::Severity::Error) run.planErrors.push_back(d.message);
    if (!run.planErrors.empty()) return run;
    auto report = exportCheckpoint(**checkpoint, run.loaded.rules, options, cancel, progress);
    if (!report) return Error{report.error().message, options.output};
    run.report = std::move(*report);
    return run;
}

std::string resolvedConfig(const ApplyRun &run, ConfigFormat format)
{
    if (run.copyOnly) return {};
    return writeConfig(run.loaded.rules, *run.loaded.checkpoint, run.path, run.loaded.inputs, run.plan, format);
}

} // namespace ckpt
