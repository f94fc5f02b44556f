#pragma once

#include "model/base/dtype.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ckpt {

/// One zarr array's metadata, v2 (`.zarray`) or v3 (`zarr.json`), as TensorStore writes them
/// for Orbax: the shape, the chunk grid, the element type (NumPy codes and TensorStore's
/// additions such as "bfloat16"), the one compressor a chunk goes through, and for v3 the
/// sharding_indexed codec that packs inner chunks and an index into each stored chunk.
struct ZarrArray
{
    int version = 2;
    std::vector<int64_t> shape;
    std::vector<int64_t> chunks; ///< the stored chunk (for a sharded v3 array: the shard)
    DType dtype = DType::Unknown;
    bool bigEndian = false;
    bool fortranOrder = false;
    /// "" (none), "zstd", "zlib", "gzip" or "blosc".
    std::string compressor;
    bool fillZero = true; ///< whether an absent chunk is zeros (fill_value 0, false, null)
    std::string separator = ".";
    bool defaultKeys = false; ///< v3 "default" keys: "c/0/0"; else v2's "0.0"

    // zarr v3 sharding_indexed
    bool sharded = false;
    std::vector<int64_t> innerChunks;
    bool indexAtEnd = true;
    bool indexCrc = false; ///< the index is followed by its CRC-32C

    /// The key of the stored chunk at grid position `index`, relative to the array's folder.
    std::string chunkKey(const std::vector<int64_t> &index) const;
    /// Bytes of one decoded (inner) chunk.
    uint64_t chunkBytes() const;
};

/// Parses `.zarray` or `zarr.json` text; FormatError naming `what` when it is not an array
/// this version reads (filters, other codecs, structured or string dtypes).
ZarrArray parseZarrArray(std::string_view json, const std::string &what);

} // namespace ckpt
