// libFuzzer target: a zip's central directory (zip64 included), the lookups PyTorch's reader
// makes, and each record's bytes as scan reads them.
#include "model/base/format_error.h"
#include "model/formats/zip_directory.h"
#include "model/sources/memory_source.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ckpt::MemorySource source("fuzz.zip", ckpt::ByteView(data, size));
    try {
        const auto dir = ckpt::ZipDirectory::parse(source);
        (void)dir.find("archive/data.pkl");
        (void)dir.sameNames();
        for (const auto &e : dir.entries()) {
            if (e.size > (uint64_t(1) << 24)) continue; // inflation is bounded by the fuzzer's memory
            try {
                std::vector<uint8_t> buffer;
                (void)ckpt::recordBytes(source, e, buffer);
            } catch (const ckpt::FormatError &) {
            }
        }
    } catch (const ckpt::FormatError &) {
    }
    return 0;
}
