#pragma once

#include <cstddef>
#include <cstdint>

namespace ckpt {

/// CRC-32C (Castagnoli, reflected polynomial 0x82f63b78), as OCDBT nodes and zarr v3 shard
/// indices carry it. Debian ships no library of it; a table walk is all it takes.
uint32_t crc32c(const void *data, size_t size, uint32_t crc = 0);

} // namespace ckpt
