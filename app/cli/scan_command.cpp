#include "commands.h"

#include "model/checkpoint/checkpoint.h"
#include "model/formats/salvage_scan.h"
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
        // What its pickles name before they go wrong still counts: calling os.system and then
        // breaking off does not make a file harmless.
        const auto dangerous = dangerousGlobalsBeforeError(path);
        printError(path, checkpoint.error().message);
        if (dangerous.empty()) return Unreadable;
        std::cout << (args.has("--json") ? unreadableScanJson(path, checkpoint.error().message, dangerous) + "\n"
                                         : unreadableScanText(path, checkpoint.error().message, dangerous))
                  << std::flush;
        return Dangerous;
    }
    keepUntilExit(checkpoint.value());
    std::cout << (args.has("--json") ? scanJson(**checkpoint, path) + "\n"
                                     : scanText(**checkpoint, path))
              << std::flush;
    return (*checkpoint)->safety().dangerous ? Dangerous : Ok;
}

} // namespace ckpt::cli
