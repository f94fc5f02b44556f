#include "model/formats/salvage_scan.h"

#include "model/formats/zip_directory.h"
#include "model/formats/pickle_run.h"
#include "model/sources/mapped_file.h"

#include <algorithm>

namespace ckpt {
namespace {

constexpr uint64_t kMaxRecord = uint64_t(512) << 20; // what a record may inflate to here

/// Pickles one after another (the legacy format; a payload behind a harmless first one), each
/// up to where it breaks.
void collect(CheckpointData &scratch, const uint8_t *data, uint64_t size, const std::string &label)
{
    for (uint64_t start = 0; start < size;) {
        try {
            const uint64_t end = scanPickle(scratch, data, size, label, start);
            if (end <= start) return;
            start = end;
        } catch (const std::exception &) {
            return; // its globals up to the break are in the report
        }
    }
}

} // namespace

std::vector<GlobalUse> dangerousGlobalsBeforeError(const std::string &path)
{
    CheckpointData scratch;
    try {
        auto map = MappedFile::open(path);
        if (!map) return {};
        const ByteSource &source = **map;
        const ByteView head = source.view(0, std::min<uint64_t>(source.size(), 4));
        if (head.size() == 4 && head[0] == 'P' && head[1] == 'K') {
            const ZipDirectory dir = ZipDirectory::parse(source);
            for (const ZipEntry &e : dir.entries()) {
                if (!e.name.ends_with(".pkl") || e.size > kMaxRecord) continue;
                try {
                    std::vector<uint8_t> inflated;
                    if (e.method == 8) inflated = inflateRecord(source, e);
                    else if (e.method != 0) continue;
                    const ByteView bytes = e.method == 8 ? ByteView(inflated) : source.view(e.dataOffset, e.size);
                    collect(scratch, bytes.data(), bytes.size(), std::string(e.name));
                } catch (const std::exception &) {
                    // a record that cannot be had: the others still count
                }
            }
        } else {
            const ByteView bytes = source.view(0, source.size());
            collect(scratch, bytes.data(), bytes.size(), "pickle");
        }
    } catch (const std::exception &) {
        // what was found before the file itself went wrong is kept
    }
    finishSafetyReport(scratch.safety);
    std::vector<GlobalUse> out;
    for (auto &use : scratch.safety.globals)
        if (use.category == GlobalCategory::Dangerous) out.push_back(std::move(use));
    return out;
}

} // namespace ckpt
