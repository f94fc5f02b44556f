#include "model/sources/blosc_chunk.h"

#include "model/base/format_error.h"

#include <blosc.h>

#include <string>
#include <vector>

namespace ckpt::blosc {

void readRange(const CompressedRead &read, uint64_t length, uint64_t from, uint64_t size, const PieceSink &sink,
               uint64_t limit)
{
    if (length > limit + BLOSC_MAX_OVERHEAD || length > uint64_t(INT32_MAX))
        throw FormatError("blosc: a " + std::to_string(length) + "-byte buffer, past what its chunk decodes to");
    std::vector<uint8_t> in(static_cast<size_t>(length));
    read(0, in.data(), in.size());
    size_t decoded = 0;
    if (blosc_cbuffer_validate(in.data(), in.size(), &decoded) != 0) throw FormatError("blosc: not a valid blosc buffer");
    if (decoded > limit) throw FormatError("blosc: the buffer decodes to " + std::to_string(decoded) + " bytes, past its chunk's " + std::to_string(limit));
    if (from > decoded || size > decoded - from) throw FormatError("blosc: the buffer decodes to fewer bytes than its chunk holds");
    std::vector<uint8_t> out(decoded);
    if (decoded && blosc_decompress_ctx(in.data(), out.data(), out.size(), 1) != int(decoded)) throw FormatError("blosc: the buffer is corrupt");
    if (size) sink(reinterpret_cast<const char *>(out.data()) + from, size_t(size));
}

} // namespace ckpt::blosc
