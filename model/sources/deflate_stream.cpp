#include "model/sources/deflate_stream.h"

#include "model/base/format_error.h"
#include "model/sources/stream_range.h"

#include <zlib.h>

#include <algorithm>
#include <string>

namespace ckpt::deflate {
namespace {

/// Decodes the stream from its start, each decoded piece to `take` (false: stop).
template <class Take>
void decode(const CompressedRead &read, uint64_t length, Framing framing, Take &&take)
{
    z_stream z{};
    const int bits = framing == Framing::Raw ? -MAX_WBITS : framing == Framing::Zlib ? MAX_WBITS : MAX_WBITS + 16;
    if (inflateInit2(&z, bits) != Z_OK) throw FormatError("deflate: cannot start zlib");
    struct End
    {
        z_stream *z;
        ~End() { inflateEnd(z); }
    } end{&z};
    std::vector<unsigned char> in(size_t(1) << 16), out(size_t(1) << 18);
    uint64_t at = 0;
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        if (z.avail_in == 0) {
            if (at >= length) throw FormatError("deflate: the record ends inside its stream (truncated)");
            const size_t n = size_t(std::min<uint64_t>(in.size(), length - at));
            read(at, in.data(), n);
            at += n;
            z.next_in = in.data();
            z.avail_in = uInt(n);
        }
        z.next_out = out.data();
        z.avail_out = uInt(out.size());
        rc = ::inflate(&z, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END)
            throw FormatError(std::string("deflate: ") + (z.msg ? z.msg : "corrupt stream"));
        const size_t got = out.size() - z.avail_out;
        if (got && !take(reinterpret_cast<const char *>(out.data()), got)) return;
    }
}

} // namespace

std::vector<uint8_t> inflatePrefix(const CompressedRead &read, uint64_t length, uint64_t limit, Framing framing)
{
    std::vector<uint8_t> out;
    decode(read, length, framing, [&](const char *data, size_t n) {
        const size_t keep = size_t(std::min<uint64_t>(n, limit - out.size()));
        out.insert(out.end(), data, data + keep);
        return out.size() < limit;
    });
    return out;
}

void readRange(const CompressedRead &read, uint64_t length, uint64_t from, uint64_t size, const PieceSink &sink,
               Framing framing)
{
    sinkRange([&](auto &&take) { decode(read, length, framing, take); }, from, size, sink, "deflate");
}

} // namespace ckpt::deflate
