#include "commands.h"

#include "model/commands/diff_run.h"
#include "model/report/diff_report.h"

#include <iostream>

namespace ckpt::cli {

int runDiff(const CliArgs &args)
{
    if (args.positional.size() != 2) {
        std::cerr << "usage: ckpt diff A B [--config CFG] [--json] [--top N]\n";
        return Unreadable;
    }
    size_t top = 20;
    if (const auto t = args.options.find("--top"); t != args.options.end()) {
        try {
            const long long n = std::stoll(t->second);
            if (n < 0) throw std::invalid_argument("negative");
            top = size_t(n);
        } catch (const std::exception &) {
            std::cerr << "ckpt diff: --top needs a non-negative integer\n";
            return Unreadable;
        }
    }
    const auto config = args.options.find("--config");
    auto result = ckpt::runDiff(args.positional[0], args.positional[1],
                                ConfigInput{config == args.options.end() ? std::string() : config->second});
    if (!result) {
        printError(result.error().input, result.error().message);
        return Unreadable;
    }
    const auto run = std::make_shared<const DiffRun>(std::move(*result));
    keepUntilExit(run);
    if (args.has("--json")) std::cout << diffJson(run->report, args.positional[0], args.positional[1]) << "\n";
    else std::cout << diffText(run->report, top);
    std::cout << std::flush;
    return run->report.identicalOverall() ? Ok : Differs;
}

} // namespace ckpt::cli
