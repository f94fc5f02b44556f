#include "model/scan/container_scan.h"

#include "model/base/format_error.h"
#include "model/formats/npy_header.h"
#include "model/formats/zip_directory.h"
#include "model/scan/pickle_stream.h"

namespace ckpt {
namespace {

constexpr uint64_t kMaxRecord = uint64_t(512) << 20; // what a record may inflate to here

void noteError(FileScan &scan, const std::string &what)
{
    if (scan.error.empty()) scan.error = what;
    else scan.warnings.push_back(what);
}

} // namespace

void scanNpy(ByteView bytes, const std::string &label, FileScan &scan)
{
    const NpyHeader header = parseNpyHeader(bytes);
    if (!header.holdsObjects()) return;
    scan.members.push_back(label);
    const auto stream = scanPickleStream(scan.safety, bytes.subspan(header.dataOffset), label);
    if (!stream.error.empty()) noteError(scan, label + ": " + stream.error);
    else if (stream.pickles == 0) noteError(scan, label + ": an array of objects without its pickle");
    if (!stream.trailing.empty()) scan.warnings.push_back(label + ": " + stream.trailing);
}

void scanZipContainer(const ByteSource &source, FileScan &scan)
{
    const ZipDirectory dir = ZipDirectory::parse(source);
    for (const auto &group : dir.sameNames())
        scan.safety.anomalies.push_back("zip: " + std::to_string(group.size()) + " records are named " +
                                        std::string(dir.entries()[group.front()].name) +
                                        ": readers may take different ones");
    bool allNpy = !dir.entries().empty();
    for (const ZipEntry &e : dir.entries()) {
        const std::string name(e.name);
        if (name.ends_with('/') && e.size == 0) continue; // a folder
        allNpy = allNpy && name.ends_with(".npy");
        if (e.size > kMaxRecord) {
            scan.warnings.push_back(name + ": not scanned (larger than 512 MiB inflated)");
            continue;
        }
        try {
            std::vector<uint8_t> inflated;
            const ByteView bytes = recordBytes(source, e, inflated);
            if (looksLikeNpy(bytes)) {
                scanNpy(bytes, name, scan);
                continue;
            }
            const size_t before = scan.members.size();
            scan.members.push_back(name);
            const auto stream = scanPickleStream(scan.safety, bytes, name);
            if (!stream.error.empty()) noteError(scan, name + ": " + stream.error);
            if (!stream.trailing.empty()) scan.warnings.push_back(name + ": " + stream.trailing);
            if (stream.pickles == 0 && stream.error.empty()) scan.members.resize(before); // no pickle in it
        } catch (const std::exception &error) {
            noteError(scan, name + ": " + error.what());
        }
    }
    scan.format = allNpy ? "npz" : "zip";
}

} // namespace ckpt
