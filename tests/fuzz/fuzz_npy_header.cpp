// libFuzzer target: the header of a NumPy .npy file.
#include "model/base/format_error.h"
#include "model/formats/npy_header.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    try {
        const auto header = ckpt::parseNpyHeader(ckpt::ByteView(data, size));
        (void)header.holdsObjects();
    } catch (const ckpt::FormatError &) {
    }
    return 0;
}
