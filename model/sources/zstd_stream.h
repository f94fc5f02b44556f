#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace ckpt {

/// Reads `size` compressed bytes from `offset` of their file into `out` (throws on failure).
using CompressedRead = std::function<void(uint64_t offset, void *out, size_t size)>;
/// Receives decompressed bytes a piece at a time.
using PieceSink = std::function<void(const char *data, size_t size)>;

/// Zstandard streams (libzstd), as torch.distributed.checkpoint's ZStandard extension writes
/// its items ("stream.zstd/1"): one frame or several, back to back.
namespace zstd {

/// The whole stream [0, length) of `read` decompressed, refused past `limit` bytes (a bomb).
/// Throws FormatError naming the problem.
std::vector<uint8_t> decompress(const CompressedRead &read, uint64_t length, uint64_t limit);

/// Decompressed bytes [from, from + size) of the stream, handed to `sink` a piece at a time:
/// the stream is decoded from its start, the bytes before `from` thrown away, nothing held
/// but a window. Throws FormatError when the stream breaks or ends early.
void readRange(const CompressedRead &read, uint64_t length, uint64_t from, uint64_t size, const PieceSink &sink);

} // namespace zstd
} // namespace ckpt
