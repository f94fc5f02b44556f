#pragma once

#include "model/sources/zstd_stream.h"

#include <cstdint>

namespace ckpt {

/// Blosc 1 buffers (libblosc), as zarr's blosc compressor writes chunks. A blosc buffer is
/// decoded whole (it has no stream form), so one chunk's decoded bytes are held while read.
namespace blosc {

/// Decoded bytes [from, from + size) of the buffer [0, length) of `read`, handed to `sink`;
/// the buffer must decode to at most `limit` bytes. Throws FormatError when it is corrupt.
void readRange(const CompressedRead &read, uint64_t length, uint64_t from, uint64_t size, const PieceSink &sink,
               uint64_t limit);

} // namespace blosc
} // namespace ckpt
