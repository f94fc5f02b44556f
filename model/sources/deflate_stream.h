#pragma once

#include "model/sources/zstd_stream.h"

#include <cstdint>
#include <vector>

namespace ckpt {

/// Deflate streams (zlib): raw, as zip archives store compressed records (np.savez_compressed),
/// or in a zlib or gzip wrapper, as zarr's zlib and gzip compressors write chunks.
namespace deflate {

enum class Framing { Raw, Zlib, Gzip };

/// The first bytes of the stream [0, length) of `read`, decompressed: at most `limit` of them
/// (a header), fewer when the stream is shorter. Throws FormatError when it is corrupt.
std::vector<uint8_t> inflatePrefix(const CompressedRead &read, uint64_t length, uint64_t limit,
                                   Framing framing = Framing::Raw);

/// Decompressed bytes [from, from + size), handed to `sink` a piece at a time (the stream is
/// decoded from its start). Throws FormatError when it breaks or ends early.
void readRange(const CompressedRead &read, uint64_t length, uint64_t from, uint64_t size, const PieceSink &sink,
               Framing framing = Framing::Raw);

} // namespace deflate
} // namespace ckpt
