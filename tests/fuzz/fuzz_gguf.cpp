// libFuzzer target: GGUF on any bytes held in memory, read as Checkpoint::open would take it
// (recognised among all readers, tree walked), then the first MiB of every block-quantized
// tensor's values decoded as reading them would (ggml::readRange). Every error must be a
// FormatError line; nothing may crash, hang or grow without bound.
#include "model/base/format_error.h"
#include "model/formats/format_registry.h"
#include "model/sources/ggml_blocks.h"
#include "model/sources/memory_source.h"

#include <algorithm>
#include <cstring>
#include <memory>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ckpt::FormatRegistry &registry = ckpt::FormatRegistry::builtin();
    auto source = std::make_shared<ckpt::MemorySource>("model.gguf", ckpt::ByteView(data, size));
    auto read = registry.readSource({"/nonexistent/model.gguf", size, source});
    if (!read) return 0;
    for (const ckpt::StorageInfo &s : read->storages) {
        if (s.compressedItem < 0) continue;
        const ckpt::CompressedItem &item = read->compressedItems[size_t(s.compressedItem)];
        const ckpt::GgmlType *type = ckpt::ggmlTypeNamed(std::string_view(item.codec).substr(5));
        if (!type) __builtin_trap(); // the reader named a codec it has no decoder for
        try {
            ckpt::ggml::readRange(
                [&](uint64_t at, void *out, size_t n) { source->read(item.offset + at, {static_cast<uint8_t *>(out), n}); },
                item.length, 0, std::min<uint64_t>(s.byteLength, 1 << 20), [](const char *, size_t) {}, *type);
        } catch (const ckpt::FormatError &) {
        }
    }
    return 0;
}
