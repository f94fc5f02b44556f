// libFuzzer target: one format reader (CKPT_FUZZ_READER) on any bytes held in memory, named
// CKPT_FUZZ_NAME (an index looks for its shards beside it, in a folder that does not exist).
// Every error must be a FormatError line; nothing may crash, hang or grow without bound.
#include "model/base/format_error.h"
#include "model/formats/format_registry.h"
#include "model/sources/memory_source.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ckpt::FormatRegistry &registry = ckpt::FormatRegistry::builtin();
    auto source = std::make_shared<ckpt::MemorySource>(CKPT_FUZZ_NAME, ckpt::ByteView(data, size));
    const ckpt::SourceFile file{CKPT_FUZZ_NAME, size, source};
    for (const auto &reader : registry.readers()) {
        if (reader->name() != std::string_view(CKPT_FUZZ_READER)) continue;
        try {
            ckpt::CheckpointData d = reader->readFile(file, registry);
            (void)d;
        } catch (const ckpt::FormatError &) {
        }
    }
    // And as Checkpoint::open would take it: recognised among all readers, tree walked.
    (void)registry.readSource(file);
    return 0;
}
