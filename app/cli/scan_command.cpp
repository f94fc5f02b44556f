#include "commands.h"

#include "model/checkpoint/checkpoint.h"
#include "model/report/json_report.h"
#include "model/report/text_report.h"

#include <iostream>

namespace ckpt::cli {

int runScan(const CliArgs &args)
{
    if (args.positional.size() != 1) {
        std::cerr << "usage: ckpt scan PATH [--json]\n";
        return Unreadable;
    }
    const std::string &path = args.positional.front();
    auto checkpoint = Checkpoint::open(path);
    if (!checkpoint) {
        printError(path, checkpoint.error().message);
        return Unreadable;
    }
    keepUntilExit(checkpoint.value());
    std::cout << (args.has("--json") ? scanJson(**checkpoint, path) + "\n"
                                     : scanText(**checkpoint, path))
              << std::flush;
    return (*checkpoint)->safety().dangerous ? Dangerous : Ok;
}

} // namespace ckpt::cli
