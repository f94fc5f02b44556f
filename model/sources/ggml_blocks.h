#pragma once

#include "model/sources/zstd_stream.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace ckpt {

/// One of ggml's tensor types (GGUF's tensor info `type`): its name as ggml spells it ("Q4_K"),
/// the elements a block holds and the bytes it takes. Block-quantized types are read by
/// dequantizing to float32 (ggml::readRange); the plain ones (F32, F16, BF16, I8..I64, F64)
/// are tensors of the matching dtype.
struct GgmlType
{
    uint32_t id = 0;
    std::string_view name;
    uint32_t blockElements = 1;
    uint32_t blockBytes = 0;
    bool dequantized = false; ///< a block type ggml::readRange turns into float32
};

/// The type with GGUF id `id`, or null when ggml has none of that number.
const GgmlType *ggmlType(uint32_t id);
/// The type ggml names `name` ("Q4_K"), or null.
const GgmlType *ggmlTypeNamed(std::string_view name);

/// Where the half-precision fields of a `type` block lie, which a big-endian GGUF stores
/// byte-swapped (what llama.cpp's gguf_convert_endian.py swaps: Q4_0, Q8_0, Q4_K, Q6_K, and
/// MXFP4, which has none); null for the types it cannot convert, whose big-endian layout is
/// not known.
const std::vector<uint32_t> *bigEndianHalves(const GgmlType &type);

namespace ggml {

/// Dequantizes `blocks` consecutive blocks of `type` (dequantized types only) into
/// blocks * blockElements floats, computed in float32 in the order ggml's reference
/// (gguf-py's quants) does, so the values agree bit for bit.
void dequantize(const GgmlType &type, const uint8_t *data, size_t blocks, float *out);

/// Bytes [from, from + size) of the float32 values of a `type` tensor whose
/// `length` bytes of blocks `read` gives: only the blocks those bytes fall in are read.
/// Throws FormatError when the range runs past the values.
/// `bigEndian`: the blocks' half fields are byte-swapped (bigEndianHalves), and the values
/// are given big-endian too, as any storage of that file is.
void readRange(const std::function<void(uint64_t at, void *out, size_t n)> &read, uint64_t length, uint64_t from,
               uint64_t size, const PieceSink &sink, const GgmlType &type, bool bigEndian = false);

} // namespace ggml
} // namespace ckpt
