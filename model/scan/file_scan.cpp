#include "model/scan/file_scan.h"

#include "model/checkpoint/checkpoint.h"
#include "model/formats/format_registry.h"
#include "model/formats/npy_header.h"
#include "model/scan/container_scan.h"
#include "model/scan/pickle_stream.h"
#include "model/remote/location.h"

#include <algorithm>
#include <set>

namespace ckpt {

std::string_view verdictName(ScanVerdict verdict)
{
    switch (verdict) {
    case ScanVerdict::Data: return "data";
    case ScanVerdict::NeedsCode: return "needs-code";
    case ScanVerdict::Dangerous: return "dangerous";
    case ScanVerdict::Unreadable: return "unreadable";
    case ScanVerdict::Skipped: return "skipped";
    }
    return "unreadable";
}

std::vector<std::string> FileScan::neededModules() const
{
    std::set<std::string> modules;
    for (const auto &g : safety.globals)
        if (g.category == GlobalCategory::Unknown) modules.insert(g.module);
    return {modules.begin(), modules.end()};
}

ScanVerdict FileScan::verdict() const
{
    if (safety.dangerous) return ScanVerdict::Dangerous;
    if (!error.empty()) return ScanVerdict::Unreadable;
    if (format == "skipped") return ScanVerdict::Skipped;
    for (const auto &g : safety.globals)
        if (g.category == GlobalCategory::Unknown) return ScanVerdict::NeedsCode;
    return ScanVerdict::Data;
}

FileScan scanFile(const std::string &path, bool inFolder)
{
    FileScan scan;
    scan.path = path;
    auto checkpoint = Checkpoint::open(path);
    if (checkpoint) {
        const Checkpoint &c = **checkpoint;
        scan.format = c.format();
        scan.safety = c.safety();
        scan.warnings = c.warnings();
        scan.checkpoint = std::move(checkpoint.value());
        return scan;
    }
    const std::string openError = checkpoint.error().message;
    auto opened = openLocation(path);
    if (!opened) {
        scan.error = openError;
        return scan;
    }
    const ByteSource &source = **opened;
    try {
        const ByteView head = source.view(0, std::min<uint64_t>(source.size(), 8));
        if (head.size() >= 4 && head[0] == 'P' && head[1] == 'K' &&
            ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6))) {
            scanZipContainer(source, scan);
            // A PyTorch archive that cannot be read as one is unreadable, though its pickles
            // were scanned; so is a zip that holds none and is no .npz (in a folder: skipped).
            const bool archive = std::any_of(scan.members.begin(), scan.members.end(),
                                             [](const std::string &m) { return m.ends_with("/data.pkl"); });
            if (archive || (scan.members.empty() && scan.format != "npz")) {
                if (!scan.error.empty()) scan.warnings.insert(scan.warnings.begin(), scan.error);
                scan.error = openError;
                if (scan.members.empty() && inFolder) scan.format = "skipped", scan.error.clear();
            }
            return scan;
        }
        if (looksLikeNpy(head)) {
            scan.format = "npy";
            scanNpy(source.view(0, source.size()), "the array's pickle", scan);
            return scan;
        }
        const auto stream = scanPickleStream(scan.safety, source.view(0, source.size()), "pickle");
        if (stream.isPickle || !scan.safety.globals.empty()) {
            scan.format = "pickle";
            scan.error = openError;
            if (!stream.trailing.empty()) scan.warnings.push_back(stream.trailing);
            return scan;
        }
    } catch (const std::exception &error) {
        scan.error = openError == std::string(kNotACheckpoint) ? error.what() : openError;
        return scan;
    }
    // In a folder, a file that holds no pickle (JSON, text, safetensors, broken or not)
    // cannot make loading run code: skipped, with why when it is a checkpoint format.
    if (inFolder) {
        scan.format = "skipped";
        if (openError != kNotACheckpoint && openError != "empty file") scan.warnings.push_back(openError);
    } else {
        scan.error = openError;
    }
    return scan;
}

} // namespace ckpt
