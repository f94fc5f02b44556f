#include "commands.h"

#include "model/checkpoint.h"
#include "model/json_report.h"
#include "model/text_report.h"

#include <iostream>

namespace ckpt::cli {

int runInspect(const CliArgs &args)
{
    if (args.positional.empty()) {
        std::cerr << "usage: ckpt inspect PATH... [--json]\n";
        return Unreadable;
    }
    int status = Ok;
    std::vector<std::string> reports;
    for (const auto &path : args.positional) {
        auto checkpoint = Checkpoint::open(path);
        if (!checkpoint) {
            printError(path, checkpoint.error().message);
            status = Unreadable;
            continue;
        }
        if (args.has("--json")) {
            reports.push_back(inspectJson(**checkpoint, path));
        } else {
            if (args.positional.size() > 1) std::cout << "== " << path << "\n";
            std::cout << inspectText(**checkpoint, path) << std::flush;
        }
    }
    if (args.has("--json") && !reports.empty())
        std::cout << (args.positional.size() == 1 ? reports.front() : jsonArray(reports)) << "\n";
    return status;
}

} // namespace ckpt::cli
