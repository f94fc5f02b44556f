#include "model/sources/zstd_stream.h"

#include "model/base/format_error.h"
#include "model/sources/stream_range.h"

#include <zstd.h>

#include <algorithm>
#include <memory>
#include <string>

namespace ckpt::zstd {
namespace {

struct Context
{
    Context() : d(ZSTD_createDStream())
    {
        if (!d) throw FormatError("zstd: out of memory");
    }
    ~Context() { ZSTD_freeDStream(d); }
    ZSTD_DStream *d;
};

/// Decodes the stream from its start, handing each decoded piece to `take`; stops when
/// `take` returns false.
template <class Take>
void decode(const CompressedRead &read, uint64_t length, Take &&take)
{
    Context ctx;
    std::vector<char> in(ZSTD_DStreamInSize()), out(ZSTD_DStreamOutSize());
    uint64_t at = 0;
    size_t last = 1; // ZSTD_decompressStream's hint: 0 once a frame is complete
    while (at < length) {
        const size_t n = size_t(std::min<uint64_t>(in.size(), length - at));
        read(at, in.data(), n);
        at += n;
        ZSTD_inBuffer input{in.data(), n, 0};
        while (input.pos < input.size) {
            ZSTD_outBuffer output{out.data(), out.size(), 0};
            last = ZSTD_decompressStream(ctx.d, &output, &input);
            if (ZSTD_isError(last)) throw FormatError(std::string("zstd: ") + ZSTD_getErrorName(last));
            if (output.pos && !take(out.data(), output.pos)) return;
        }
    }
    for (;;) { // flush what the decoder still holds
        ZSTD_inBuffer input{nullptr, 0, 0};
        ZSTD_outBuffer output{out.data(), out.size(), 0};
        const size_t hint = ZSTD_decompressStream(ctx.d, &output, &input);
        if (ZSTD_isError(hint)) throw FormatError(std::string("zstd: ") + ZSTD_getErrorName(hint));
        if (output.pos == 0) break; // nothing held: `last` stands (after a whole frame, a hint for the next)
        last = hint;
        if (!take(out.data(), output.pos)) return;
    }
    if (last != 0) throw FormatError("zstd: the stream ends inside a frame (truncated)");
}

} // namespace

std::vector<uint8_t> decompress(const CompressedRead &read, uint64_t length, uint64_t limit)
{
    std::vector<uint8_t> out;
    decode(read, length, [&](const char *data, size_t n) {
        if (n > limit - out.size()) throw FormatError("zstd: the stream inflates past " + std::to_string(limit) + " bytes");
        out.insert(out.end(), data, data + n);
        return true;
    });
    return out;
}

void readRange(const CompressedRead &read, uint64_t length, uint64_t from, uint64_t size, const PieceSink &sink)
{
    sinkRange([&](auto &&take) { decode(read, length, take); }, from, size, sink, "zstd");
}

} // namespace ckpt::zstd
