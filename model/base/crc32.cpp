#include "model/base/crc32.h"

#include <isa-l/crc.h>

#include <algorithm>

namespace ckpt {

uint32_t crc32Update(uint32_t crc, const void *data, size_t size)
{
    const auto *p = static_cast<const unsigned char *>(data);
    // crc32_gzip_refl takes a 64-bit length; pieces keep each call's work bounded anyway.
    while (size > 0) {
        const size_t n = std::min<size_t>(size, size_t(1) << 30);
        crc = crc32_gzip_refl(crc, p, uint64_t(n));
        p += n;
        size -= n;
    }
    return crc;
}

} // namespace ckpt
