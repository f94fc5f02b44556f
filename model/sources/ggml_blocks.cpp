#include "model/sources/ggml_blocks.h"

#include "model/base/format_error.h"
#include "model/base/half_float.h"

#include <array>
#include <cstring>
#include <string>
#include <vector>

// Every value is one float32 product or difference of float32 operands, as gguf-py's numpy
// code computes it: no fused multiply-add may merge two roundings into one (CMake compiles
// this file with -ffp-contract=off).

namespace ckpt {
namespace {

constexpr uint32_t QK = 256; // a K-quant super-block

// Block layouts from ggml's ggml-common.h, as ../shared/FORMATS-MORE.md §8 lists them.
constexpr std::array kTypes{
    GgmlType{0, "F32", 1, 4, false},       GgmlType{1, "F16", 1, 2, false},
    GgmlType{2, "Q4_0", 32, 18, true},     GgmlType{3, "Q4_1", 32, 20, true},
    GgmlType{6, "Q5_0", 32, 22, true},     GgmlType{7, "Q5_1", 32, 24, true},
    GgmlType{8, "Q8_0", 32, 34, true},     GgmlType{9, "Q8_1", 32, 36, false},
    GgmlType{10, "Q2_K", QK, 84, true},    GgmlType{11, "Q3_K", QK, 110, true},
    GgmlType{12, "Q4_K", QK, 144, true},   GgmlType{13, "Q5_K", QK, 176, true},
    GgmlType{14, "Q6_K", QK, 210, true},   GgmlType{15, "Q8_K", QK, 292, false},
    GgmlType{16, "IQ2_XXS", QK, 66, false}, GgmlType{17, "IQ2_XS", QK, 74, false},
    GgmlType{18, "IQ3_XXS", QK, 98, false}, GgmlType{19, "IQ1_S", QK, 50, false},
    GgmlType{20, "IQ4_NL", 32, 18, true},  GgmlType{21, "IQ3_S", QK, 110, false},
    GgmlType{22, "IQ2_S", QK, 82, false},  GgmlType{23, "IQ4_XS", QK, 136, true},
    GgmlType{24, "I8", 1, 1, false},       GgmlType{25, "I16", 1, 2, false},
    GgmlType{26, "I32", 1, 4, false},      GgmlType{27, "I64", 1, 8, false},
    GgmlType{28, "F64", 1, 8, false},      GgmlType{29, "IQ1_M", QK, 56, false},
    GgmlType{30, "BF16", 1, 2, false},     GgmlType{34, "TQ1_0", QK, 54, false},
    GgmlType{35, "TQ2_0", QK, 66, false},  GgmlType{39, "MXFP4", 32, 17, true},
    GgmlType{40, "NVFP4", 64, 36, false},  GgmlType{41, "Q1_0", 128, 18, false},
    GgmlType{42, "Q2_0", 64, 18, false},
};

constexpr std::array<int8_t, 16> kNonLinear4{-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
constexpr std::array<int8_t, 16> kE2M1Doubled{0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

/// A little-endian IEEE half at p, as float.
float half(const uint8_t *p) { return halfToFloat(uint16_t(p[0] | p[1] << 8)); }

uint32_t u32(const uint8_t *p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24; }

/// Q4_0, Q4_1, IQ4_NL, MXFP4 and the Q5 pair: 32 values, byte j's low nibble is value j, its
/// high nibble value j + 16.
int nibble(const uint8_t *qs, int i) { return i < 16 ? qs[i] & 15 : qs[i - 16] >> 4; }

/// get_scale_min_k4: the 6-bit scale and min of Q4_K/Q5_K's sub-block j from their 12 bytes.
void scaleMin(const uint8_t *s, int j, int &scale, int &min)
{
    if (j < 4) {
        scale = s[j] & 63;
        min = s[j + 4] & 63;
    } else {
        scale = (s[j + 4] & 15) | (s[j - 4] >> 6) << 4;
        min = (s[j + 4] >> 4) | (s[j] >> 6) << 4;
    }
}

void block(const GgmlType &t, const uint8_t *b, float *y)
{
    switch (t.id) {
    case 2: { // Q4_0
        const float d = half(b);
        for (int i = 0; i < 32; ++i) y[i] = d * float(nibble(b + 2, i) - 8);
        return;
    }
    case 3: { // Q4_1
        const float d = half(b), m = half(b + 2);
        for (int i = 0; i < 32; ++i) y[i] = d * float(nibble(b + 4, i)) + m;
        return;
    }
    case 6: { // Q5_0
        const float d = half(b);
        const uint32_t qh = u32(b + 2);
        for (int i = 0; i < 32; ++i) y[i] = d * float((nibble(b + 6, i) | int((qh >> i) & 1) << 4) - 16);
        return;
    }
    case 7: { // Q5_1
        const float d = half(b), m = half(b + 2);
        const uint32_t qh = u32(b + 4);
        for (int i = 0; i < 32; ++i) y[i] = d * float(nibble(b + 8, i) | int((qh >> i) & 1) << 4) + m;
        return;
    }
    case 8: { // Q8_0
        const float d = half(b);
        for (int i = 0; i < 32; ++i) y[i] = float(int8_t(b[2 + i])) * d;
        return;
    }
    case 20: { // IQ4_NL
        const float d = half(b);
        for (int i = 0; i < 32; ++i) y[i] = d * float(kNonLinear4[size_t(nibble(b + 2, i))]);
        return;
    }
    case 39: { // MXFP4: an E8M0 exponent (halved, as ggml_e8m0_to_fp32_half) over doubled E2M1 values
        const uint32_t e = b[0];
        const float d = floatFromBits(e < 2 ? 0x00200000u << e : (e - 1) << 23);
        for (int i = 0; i < 32; ++i) y[i] = d * float(kE2M1Doubled[size_t(nibble(b + 1, i))]);
        return;
    }
    case 10: { // Q2_K: scales[16], qs[64], d, dmin
        const uint8_t *scales = b, *qs = b + 16;
        const float d = half(b + 80), dmin = half(b + 82);
        for (int s = 0; s < 16; ++s) { // 16 values each: half s/8, shift 2*((s/2)%4), qs half s%2
            const float dl = d * float(scales[s] & 15), ml = dmin * float(scales[s] >> 4);
            const uint8_t *q = qs + 32 * (s / 8) + 16 * (s % 2);
            const int shift = 2 * ((s / 2) % 4);
            for (int l = 0; l < 16; ++l) y[16 * s + l] = dl * float((q[l] >> shift) & 3) - ml;
        }
        return;
    }
    case 11: { // Q3_K: hmask[32], qs[64], scales[12], d
        const uint8_t *hmask = b, *qs = b + 32, *sc = b + 96;
        const float d = half(b + 108);
        for (int s = 0; s < 16; ++s) {
            const int low = (sc[s % 8] >> (4 * (s / 8))) & 15, high = (sc[8 + s % 4] >> (2 * (s / 4))) & 3;
            const float dl = d * float(int8_t(uint8_t(low | high << 4)) - 32);
            const uint8_t *q = qs + 32 * (s / 8) + 16 * (s % 2);
            const uint8_t *h = hmask + 16 * (s % 2);
            const int shift = 2 * ((s / 2) % 4), bit = s / 2; // 0..7: the hmask bit of these 16
            for (int l = 0; l < 16; ++l) {
                const int q2 = (q[l] >> shift) & 3;
                const int value = q2 - (((h[l] >> bit) & 1) ? 0 : 4);
                y[16 * s + l] = dl * float(value);
            }
        }
        return;
    }
    case 12:   // Q4_K: d, dmin, scales[12], qs[128]
    case 13: { // Q5_K: d, dmin, scales[12], qh[32], qs[128]
        const bool five = t.id == 13;
        const float d = half(b), dmin = half(b + 2);
        const uint8_t *scales = b + 4, *qh = b + 16, *qs = b + (five ? 48 : 16);
        for (int j = 0; j < 8; ++j) { // 32 values each: qs bytes 32*(j/2).., low nibble for even j
            int scale = 0, min = 0;
            scaleMin(scales, j, scale, min);
            const float dl = d * float(scale), ml = dmin * float(min);
            const uint8_t *q = qs + 32 * (j / 2);
            for (int l = 0; l < 32; ++l) {
                int value = j % 2 ? q[l] >> 4 : q[l] & 15;
                if (five) value |= ((qh[l] >> j) & 1) << 4;
                y[32 * j + l] = dl * float(value) - ml;
            }
        }
        return;
    }
    case 14: { // Q6_K: ql[128], qh[64], scales[16] (int8), d
        const uint8_t *ql = b, *qh = b + 128;
        const int8_t *scales = reinterpret_cast<const int8_t *>(b + 192);
        const float d = half(b + 208);
        for (int g = 0; g < 8; ++g) { // 32 values each; half g/4 of the block
            const int k = g % 4, h = g / 4;
            const uint8_t *low = ql + 64 * h + 32 * (k % 2), *high = qh + 32 * h;
            for (int l = 0; l < 32; ++l) {
                const int lo = k < 2 ? low[l] & 15 : low[l] >> 4;
                const int value = (lo | ((high[l] >> (2 * k)) & 3) << 4) - 32;
                const float dl = d * float(scales[8 * h + 2 * k + l / 16]);
                y[32 * g + l] = dl * float(value);
            }
        }
        return;
    }
    case 23: { // IQ4_XS: d, scales_h (u16), scales_l[4], qs[128]
        const float d = half(b);
        const uint32_t scalesHigh = uint32_t(b[2]) | uint32_t(b[3]) << 8;
        const uint8_t *scalesLow = b + 4, *qs = b + 8;
        for (int s = 0; s < 8; ++s) {
            const int ls = ((scalesLow[s / 2] >> (4 * (s % 2))) & 15) | int((scalesHigh >> (2 * s)) & 3) << 4;
            const float dl = d * float(ls - 32);
            for (int i = 0; i < 32; ++i) y[32 * s + i] = dl * float(kNonLinear4[size_t(nibble(qs + 16 * s, i))]);
        }
        return;
    }
    default: throw FormatError(std::string(t.name) + " values are not decoded here");
    }
}

} // namespace

const GgmlType *ggmlType(uint32_t id)
{
    for (const auto &t : kTypes)
        if (t.id == id) return &t;
    return nullptr;
}

const GgmlType *ggmlTypeNamed(std::string_view name)
{
    for (const auto &t : kTypes)
        if (t.name == name) return &t;
    return nullptr;
}

const std::vector<uint32_t> *bigEndianHalves(const GgmlType &type)
{
    static const std::vector<uint32_t> kD{0}, kDmin{0, 2}, kQ6{208}, kNone{};
    if (type.name == "Q4_0" || type.name == "Q8_0") return &kD;
    if (type.name == "Q4_K") return &kDmin;
    if (type.name == "Q6_K") return &kQ6;
    if (type.name == "MXFP4") return &kNone;
    return nullptr;
}

namespace ggml {

void dequantize(const GgmlType &type, const uint8_t *data, size_t blocks, float *out)
{
    for (size_t i = 0; i < blocks; ++i) block(type, data + i * type.blockBytes, out + i * type.blockElements);
}

void readRange(const std::function<void(uint64_t, void *, size_t)> &read, uint64_t length, uint64_t from, uint64_t size,
               const PieceSink &sink, const GgmlType &type, bool bigEndian)
{
    if (size == 0) return;
    const std::vector<uint32_t> *halves = bigEndian ? bigEndianHalves(type) : nullptr;
    if (bigEndian && !halves) throw FormatError(std::string(type.name) + " blocks in a big-endian file are not decoded here");
    const uint64_t blocks = length / type.blockBytes, values = blocks * type.blockElements * 4;
    if (from > values || size > values - from)
        throw FormatError(std::string(type.name) + ": bytes " + std::to_string(from) + "+" + std::to_string(size) +
                          " of the values asked for, past their " + std::to_string(values));
    const uint64_t blockValueBytes = uint64_t(type.blockElements) * 4;
    constexpr uint64_t kBatch = 4096; // blocks decoded at a time: a bounded window
    std::vector<uint8_t> raw;
    std::vector<float> decoded;
    for (uint64_t first = from / blockValueBytes, last = (from + size - 1) / blockValueBytes; first <= last;) {
        const uint64_t n = std::min(kBatch, last - first + 1);
        raw.resize(size_t(n * type.blockBytes));
        decoded.resize(size_t(n * type.blockElements));
        read(first * type.blockBytes, raw.data(), raw.size());
        if (halves)
            for (uint64_t b = 0; b < n; ++b)
                for (uint32_t at : *halves) std::swap(raw[size_t(b * type.blockBytes + at)], raw[size_t(b * type.blockBytes + at + 1)]);
        dequantize(type, raw.data(), size_t(n), decoded.data());
        // A storage's bytes are in its file's order, decoded values too: readers swap them back.
        if (halves)
            for (float &v : decoded) {
                uint32_t b;
                std::memcpy(&b, &v, 4);
                b = __builtin_bswap32(b);
                std::memcpy(&v, &b, 4);
            }
        const uint64_t begin = first * blockValueBytes, end = begin + n * blockValueBytes;
        const uint64_t a = std::max(begin, from), z = std::min(end, from + size);
        sink(reinterpret_cast<const char *>(decoded.data()) + (a - begin), size_t(z - a));
        first += n;
    }
}

} // namespace ggml
} // namespace ckpt
