#pragma once

#include "model/base/dtype.h"

#include <algorithm>
#include <cstddef>

namespace ckpt {

/// Bytes that one byte-order swap covers in an element of `dtype`: its size, or half of it for
/// a complex number (two floats), 1 where there is nothing to swap.
inline size_t byteOrderUnit(DType dtype)
{
    const int bits = dtypeBits(dtype);
    if (bits < 16) return 1;
    return size_t(bits / 8) / (isComplex(dtype) ? 2 : 1);
}

/// Reverses the bytes of every element of `dtype` in [data, data + size): big-endian storage to
/// this machine's order and back.
inline void swapByteOrder(char *data, size_t size, DType dtype)
{
    const size_t unit = byteOrderUnit(dtype);
    if (unit <= 1) return;
    for (size_t i = 0; i + unit <= size; i += unit) std::reverse(data + i, data + i + unit);
}

} // namespace ckpt
