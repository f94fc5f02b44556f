#pragma once

#include <cstddef>
#include <cstdint>

namespace ckpt {

/// CRC-32 as zip and zlib's crc32() define it, continuing `crc` (0 to start) over `size`
/// bytes: ISA-L's crc32_gzip_refl, which folds with carry-less multiplies (about 6x zlib's
/// table code here), so checking what an export wrote costs a fraction of writing it.
uint32_t crc32Update(uint32_t crc, const void *data, size_t size);

} // namespace ckpt
