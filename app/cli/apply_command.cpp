#include "commands.h"

#include "model/checkpoint/checkpoint.h"
#include "model/base/atomic_file.h"
#include "model/export/exporter.h"
#include "model/rules/rule_config.h"
#include "model/rules/rule_engine.h"

#include <filesystem>
#include <iostream>

namespace ckpt::cli {

int runApply(const CliArgs &args)
{
    const auto config = args.options.find("--config");
    const auto output = args.options.find("-o");
    if (args.positional.size() != 1 || config == args.options.end() || output == args.options.end()) {
        std::cerr << "usage: ckpt apply PATH --config CFG -o OUT [--format pt|safetensors|npz|gguf] [--gguf-type q8_0] [--weights-only]\n"
                     "                  [--optimizer abort|drop|reset] [--tied duplicate|alias] [--shard-size SIZE]\n"
                     "                  [--write-config FILE]\n";
        return Unreadable;
    }
    ExportOptions options;
    options.output = output->second;
    options.weightsOnly = args.has("--weights-only");
    options.configName = std::filesystem::path(config->second).filename().string();
    const auto option = [&](const char *name, const char *fallback) {
        const auto it = args.options.find(name);
        return it == args.options.end() ? std::string(fallback) : it->second;
    };
    const std::string format = option("--format", options.output.ends_with(".safetensors") ? "safetensors"
                                                  : options.output.ends_with(".npz")       ? "npz"
                                                  : options.output.ends_with(".gguf")      ? "gguf"
                                                                                           : "pt");
    const std::string optimizer = option("--optimizer", "abort");
    const std::string tied = option("--tied", "duplicate");
    const std::string ggufType = option("--gguf-type", "");
    if ((format != "pt" && format != "safetensors" && format != "npz" && format != "gguf") ||
        (optimizer != "abort" && optimizer != "drop" && optimizer != "reset") || (tied != "duplicate" && tied != "alias") ||
        (!ggufType.empty() && (format != "gguf" || (ggufType != "q8_0" && ggufType != "Q8_0")))) {
        std::cerr << "ckpt apply: --format pt|safetensors|npz|gguf, --gguf-type q8_0 (with gguf), --optimizer abort|drop|reset, "
                     "--tied duplicate|alias\n";
        return Unreadable;
    }
    options.format = format == "pt"     ? ExportOptions::Format::PyTorch
                     : format == "npz"  ? ExportOptions::Format::Npz
                     : format == "gguf" ? ExportOptions::Format::Gguf
                                        : ExportOptions::Format::Safetensors;
    if (!ggufType.empty()) options.ggufType = "Q8_0";
    options.optimizer = optimizer == "drop"    ? ExportOptions::Optimizer::Drop
                        : optimizer == "reset" ? ExportOptions::Optimizer::Reset
                                               : ExportOptions::Optimizer::Abort;
    options.tied = tied == "alias" ? ExportOptions::Tied::Alias : ExportOptions::Tied::Duplicate;
    if (const auto shard = args.options.find("--shard-size"); shard != args.options.end()) {
        const auto bytes = parseByteSize(shard->second);
        if (!bytes || options.format != ExportOptions::Format::Safetensors) {
            std::cerr << "ckpt apply: --shard-size takes a size (5GB, 500MB, 2GiB) and --format safetensors\n";
            return Unreadable;
        }
        options.shardSize = *bytes;
    }

    auto rules = loadConfig(config->second);
    if (!rules) {
        printError(config->second, rules.error().message);
        return Unreadable;
    }
    auto checkpoint = Checkpoint::open(args.positional.front());
    if (!checkpoint) {
        printError(args.positional.front(), checkpoint.error().message);
        return Unreadable;
    }
    keepUntilExit(checkpoint.value());
    // A plan with errors writes nothing (exit 1), like `ckpt plan` reports it.
    auto inputs = planInputs(**checkpoint, rules->weights);
    auto compiled = CompiledRules::compile(*rules);
    // No rules and no dict of weights (a bare tensor, a list): a faithful copy, nothing to plan.
    const bool copyOnly = !inputs && rules->rules.empty() && !rules->weights;
    if ((!inputs && !copyOnly) || !compiled) {
        printError(config->second, !compiled ? compiled.error().message : inputs.error().message);
        return Unreadable;
    }
    const Plan plan = copyOnly ? Plan{} : (*compiled)->evaluate(*inputs);
    if (plan.hasErrors()) {
        for (const auto &d : plan.diagnostics)
            if (d.severity == Diagnostic::Severity::Error) std::cerr << "error: " << d.message << "\n";
        std::cerr << "ckpt apply: the plan has errors; nothing was written\n";
        return Differs;
    }
    auto report = exportCheckpoint(**checkpoint, *rules, options);
    if (!report) {
        printError(options.output, report.error().message);
        return Unreadable;
    }
    if (const auto cfg = args.options.find("--write-config"); cfg != args.options.end() && !copyOnly) {
        const auto fmt = configFormatFor(cfg->second);
        if (auto w = writeFileAtomically(cfg->second, writeConfig(*rules, **checkpoint, args.positional.front(),
                                                                  *inputs, plan, fmt));
            !w) {
            printError(cfg->second, w.error().message);
            return Unreadable;
        }
    }
    std::cout << "wrote " << (report->files.empty() ? options.output : report->files.back()) << ": "
              << report->summary() << "; verified\n";
    for (const auto &w : report->warnings) std::cerr << "warning: " << w << "\n";
    return Ok;
}

} // namespace ckpt::cli
