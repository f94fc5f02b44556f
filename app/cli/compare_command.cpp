#include "commands.h"

#include "model/base/atomic_file.h"
#include "model/commands/compare_run.h"
#include "model/report/compare_report.h"
#include "model/rules/rule_config.h"

#include <iostream>

namespace ckpt::cli {

int runCompare(const CliArgs &args)
{
    const auto targetPath = args.options.find("--target");
    if (args.positional.size() != 1 || targetPath == args.options.end()) {
        std::cerr << "usage: ckpt compare PATH --target TARGET [--config CFG] [--json] [--suggest OUT.json]\n";
        return Unreadable;
    }
    const auto config = args.options.find("--config");
    auto result = ckpt::runCompare(args.positional.front(),
                                   ConfigInput{config == args.options.end() ? std::string() : config->second},
                                   targetPath->second);
    if (!result) {
        printError(result.error().input, result.error().message);
        return Unreadable;
    }
    const auto run = std::make_shared<const CompareRun>(std::move(*result));
    keepUntilExit(run);
    for (const auto &e : run->configErrors) std::cerr << "ckpt compare: config: " << e << "\n";
    if (const auto suggest = args.options.find("--suggest"); suggest != args.options.end()) {
        if (auto written = writeFileAtomically(suggest->second,
                                               writeRules(suggestedRules(*run), configFormatFor(suggest->second)));
            !written) {
            printError(suggest->second, written.error().message);
            return Unreadable;
        }
    }
    if (args.has("--json")) std::cout << compareRunJson(*run) << "\n";
    else std::cout << compareText(run->report, run->target, run->proposals, run->kinship);
    std::cout << std::flush;
    return run->report.strictOk() ? Ok : Differs;
}

} // namespace ckpt::cli
