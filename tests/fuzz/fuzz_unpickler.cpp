// libFuzzer target: the unpickler on any bytes, its tree printed back, as scan runs it (every
// pickle one after another, globals classified).
#include "model/pickle/safety_report.h"
#include "model/pickle/unpickler.h"
#include "model/pickle/value_format.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ckpt::ValueArena arena;
    ckpt::UnpickleLimits limits;
    limits.maxValues = 2'000'000; // the fuzzer's memory limit, not the product's
    uint64_t start = 0;
    for (int i = 0; i < 4 && start < size; ++i) {
        auto out = ckpt::unpickle(arena, data, size, start, nullptr, limits, /*borrowData=*/true);
        if (!out) break;
        (void)ckpt::formatValue(out->root, nullptr, 4096);
        for (const auto &g : out->globals) (void)ckpt::classifyGlobal(g.module, g.name);
        if (out->end <= start) break;
        start = out->end;
    }
    return 0;
}
