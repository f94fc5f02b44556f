#include "commands.h"

#include "model/base/atomic_file.h"
#include "model/commands/apply_run.h"

#include <iostream>

namespace ckpt::cli {

int runApply(const CliArgs &args)
{
    const auto config = args.options.find("--config");
    const auto output = args.options.find("-o");
    if (args.positional.size() != 1 || config == args.options.end() || output == args.options.end()) {
        std::cerr << "usage: ckpt apply PATH --config CFG -o OUT [--format pt|safetensors|npz|gguf] [--gguf-type f32|f16|bf16|q8_0] [--weights-only]\n"
                     "                  [--optimizer abort|drop|reset] [--tied duplicate|alias] [--shard-size SIZE]\n"
                     "                  [--write-config FILE]\n";
        return Unreadable;
    }
    const auto option = [&](const char *name) {
        const auto it = args.options.find(name);
        return it == args.options.end() ? std::string() : it->second;
    };
    const ConfigInput configInput{config->second};
    auto options = exportOptionsFor({.output = output->second,
                                     .format = option("--format"),
                                     .ggufType = option("--gguf-type"),
                                     .optimizer = option("--optimizer"),
                                     .tied = option("--tied"),
                                     .shardSize = option("--shard-size"),
                                     .weightsOnly = args.has("--weights-only")},
                                    configInput.fileName());
    if (!options) {
        std::cerr << "ckpt apply: " << options.error().message
                  << " (--format pt|safetensors|npz|gguf, --gguf-type f32|f16|bf16|q8_0, --optimizer abort|drop|reset, "
                     "--tied duplicate|alias, --shard-size SIZE)\n";
        return Unreadable;
    }
    auto result = ckpt::runApply(args.positional.front(), configInput, *options);
    if (!result) {
        printError(result.error().input, result.error().message);
        return Unreadable;
    }
    const auto run = std::make_shared<const ApplyRun>(std::move(*result));
    keepUntilExit(run);
    if (!run->planErrors.empty()) {
        for (const auto &e : run->planErrors) std::cerr << "error: " << e << "\n";
        std::cerr << "ckpt apply: the plan has errors; nothing was written\n";
        return Differs;
    }
    if (const auto cfg = args.options.find("--write-config"); cfg != args.options.end() && !run->copyOnly) {
        if (auto w = writeFileAtomically(cfg->second, resolvedConfig(*run, configFormatFor(cfg->second))); !w) {
            printError(cfg->second, w.error().message);
            return Unreadable;
        }
    }
    std::cout << run->summaryLine(*options) << "\n";
    for (const auto &w : run->report.warnings) std::cerr << "warning: " << w << "\n";
    return Ok;
}

} // namespace ckpt::cli
