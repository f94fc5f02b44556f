#include "commands.h"

#include "model/checkpoint/checkpoint.h"
#include "model/report/json_report.h"
#include "model/report/text_report.h"

#include <iostream>

namespace ckpt::cli {

int runInspect(const CliArgs &args)
{
    if (args.positional.empty()) {
        std::cerr << "usage: ckpt inspect PATH... [--json]\n";
        return Unreadable;
    }
    int status = Ok;
    const bool json = args.has("--json");
    const bool several = args.positional.size() > 1;
    bool first = true;
    if (json && several) std::cout << "[";
    for (const auto &path : args.positional) {
        auto checkpoint = Checkpoint::open(path);
        if (!checkpoint) {
            printError(path, checkpoint.error().message);
            status = Unreadable;
            continue;
        }
        keepUntilExit(checkpoint.value());
        if (json) {
            if (!first) std::cout << ",\n";
            writeInspectJson(std::cout, **checkpoint, path);
        } else {
            if (several) std::cout << "== " << path << "\n";
            std::cout << inspectText(**checkpoint, path);
        }
        first = false;
    }
    if (json && several) std::cout << "]";
    if (json && (several || !first)) std::cout << "\n";
    std::cout << std::flush;
    return status;
}

} // namespace ckpt::cli
