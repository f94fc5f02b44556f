#include "commands.h"

#include "model/remote/location.h"
#include "model/report/scan_report.h"
#include "model/scan/file_scan.h"

#include <iostream>
#include <memory>

namespace ckpt::cli {

int runScan(const CliArgs &args)
{
    const auto format = args.options.count("--format") ? args.options.at("--format") : std::string("text");
    if (args.positional.size() != 1 || (format != "text" && format != "json" && format != "sarif")) {
        std::cerr << "usage: ckpt scan PATH [--json | --format text|json|sarif] [--strict]\n";
        return Unreadable;
    }
    const std::string &path = args.positional.front();
    const auto kind = locationKind(path);
    const bool folder = kind && *kind == LocationKind::Folder;
    const auto scans = std::make_shared<const std::vector<FileScan>>(scanPath(path));
    keepUntilExit(scans); // a 100k-tensor tree is not freed node by node before exit
    // One line on stderr per file that could not be read, as every command does.
    for (const auto &s : *scans)
        if (!s.error.empty()) printError(s.path, s.error);
    const int status = scanExitStatus(*scans, args.has("--strict"));
    // A single file that could not be read and names nothing dangerous has only its error.
    const bool nothingToShow = !folder && scans->size() == 1 && scans->front().verdict() == ScanVerdict::Unreadable &&
                               format != "sarif";
    if (nothingToShow) return status;
    if (format == "sarif") std::cout << scanSarif(*scans, CKPT_VERSION) << "\n";
    else if (format == "json" || args.has("--json")) std::cout << scanJson(*scans, path, folder) << "\n";
    else std::cout << scanText(*scans, path);
    std::cout << std::flush;
    return status;
}

} // namespace ckpt::cli
