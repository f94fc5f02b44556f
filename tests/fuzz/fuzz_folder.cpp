// libFuzzer target: a checkpoint folder (an Orbax item: _METADATA, its OCDBT manifest, data
// files and zarr metadata) packed into one input, unpacked into a scratch folder and opened as
// Checkpoint::open would. Input: records of [u16 LE name length][name][u32 LE size][bytes];
// names that would leave the folder are skipped. Every error must be a one-line Error; nothing
// may crash, hang or grow without bound.
#include "model/formats/format_reader.h"
#include "model/formats/format_registry.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const fs::path root = [] {
        char tmpl[] = "/tmp/ckpt-fuzz-folder-XXXXXX";
        const char *made = ::mkdtemp(tmpl);
        return fs::path(made ? made : "/tmp/ckpt-fuzz-folder");
    }();
    std::error_code ec;
    fs::remove_all(root / "ck", ec);
    fs::create_directories(root / "ck", ec);
    size_t at = 0;
    for (int files = 0; files < 64 && at + 2 <= size; ++files) {
        const size_t nameLength = size_t(data[at]) | size_t(data[at + 1]) << 8;
        at += 2;
        if (at + nameLength + 4 > size) break;
        const std::string name(reinterpret_cast<const char *>(data + at), nameLength);
        at += nameLength;
        size_t length = size_t(data[at]) | size_t(data[at + 1]) << 8 | size_t(data[at + 2]) << 16 | size_t(data[at + 3]) << 24;
        at += 4;
        length = std::min(length, size - at);
        if (!ckpt::leavesFolder(name) && name.find('\\') == std::string::npos) {
            const fs::path path = root / "ck" / name;
            fs::create_directories(path.parent_path(), ec);
            std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char *>(data + at), std::streamsize(length));
        }
        at += length;
    }
    (void)ckpt::FormatRegistry::builtin().read((root / "ck").string());
    return 0;
}
