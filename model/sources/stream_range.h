#pragma once

#include "model/base/format_error.h"
#include "model/sources/zstd_stream.h"

#include <algorithm>
#include <cstdint>
#include <string>

namespace ckpt {

/// Bytes [from, from + size) of a decoded stream, handed to `sink`: `decode(take)` hands each
/// decoded piece, in order, to `take`, and stops when it returns false. Throws FormatError
/// ("<codec>: ...") when the stream ends before them. Shared by the zstd and deflate readers.
template <class Decode>
void sinkRange(Decode &&decode, uint64_t from, uint64_t size, const PieceSink &sink, const char *codec)
{
    if (size == 0) return;
    uint64_t seen = 0, given = 0;
    decode([&](const char *data, size_t n) {
        const uint64_t begin = std::max(seen, from), end = std::min(seen + n, from + size);
        if (begin < end) {
            sink(data + (begin - seen), size_t(end - begin));
            given += end - begin;
        }
        seen += n;
        return given < size;
    });
    if (given < size) throw FormatError(std::string(codec) + ": the stream ends before the bytes asked for");
}

} // namespace ckpt
