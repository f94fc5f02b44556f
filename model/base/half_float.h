#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace ckpt {

/// Exact conversions between float and the 16-bit floats (IEEE half, bfloat16) that model/
/// code reads and writes without LibTorch: GGUF's block scales, Q8_0 export.

inline float floatFromBits(uint32_t bits)
{
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

inline uint32_t bitsOfFloat(float f)
{
    uint32_t b;
    std::memcpy(&b, &f, 4);
    return b;
}

/// IEEE half to float, exactly (subnormals, infinities, NaN payloads kept).
inline float halfToFloat(uint16_t h)
{
    const uint32_t sign = (uint32_t(h) & 0x8000u) << 16, exponent = (h >> 10) & 31, mantissa = h & 0x3ff;
    if (exponent == 31) return floatFromBits(sign | 0x7f800000u | mantissa << 13);
    if (exponent != 0) return floatFromBits(sign | (exponent + 112) << 23 | mantissa << 13);
    const float magnitude = float(mantissa) * floatFromBits(0x33800000u); // mantissa * 2^-24, exact
    return sign ? -magnitude : magnitude;
}

inline float bfloat16ToFloat(uint16_t b) { return floatFromBits(uint32_t(b) << 16); }

/// float to IEEE half, rounding to nearest even (as NumPy's astype(float16)).
inline uint16_t floatToHalf(float f)
{
    const uint32_t x = bitsOfFloat(f);
    const uint16_t sign = uint16_t((x >> 16) & 0x8000);
    const uint32_t magnitude = x & 0x7fffffff;
    if (magnitude > 0x7f800000) return uint16_t(sign | 0x7e00 | ((magnitude >> 13) & 0x3ff)); // NaN stays NaN
    if (magnitude >= 0x477ff000) return uint16_t(sign | 0x7c00);                                // rounds past 65504: inf
    if (magnitude < 0x38800000) { // a half subnormal (or 0): magnitude / 2^-24, rounded to nearest even
        const float scaled = floatFromBits(magnitude) * floatFromBits(0x4b800000u); // * 2^24, exact
        return uint16_t(sign | uint16_t(std::nearbyint(scaled)));
    }
    const uint32_t mantissa = magnitude & 0x7fffff, exponent = (magnitude >> 23) - 112;
    uint32_t h = exponent << 10 | mantissa >> 13;
    const uint32_t rest = mantissa & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) ++h; // a carry into the exponent is right too
    return uint16_t(sign | h);
}

/// float to bfloat16, rounding to nearest even (as torch's .to(torch.bfloat16)); NaN stays NaN.
inline uint16_t floatToBfloat16(float f)
{
    const uint32_t x = bitsOfFloat(f);
    if ((x & 0x7fffffff) > 0x7f800000) return uint16_t((x >> 16) | 0x40);
    return uint16_t((x + 0x7fff + ((x >> 16) & 1)) >> 16);
}

} // namespace ckpt
