#pragma once

// Comparisons and a hash for tensor names, inlined: names are short (tens of bytes) and the
// rule preview compares them millions of times a second, where a call into libc's memcmp
// costs more than the comparison itself.

#include <cstdint>
#include <cstring>
#include <string_view>

namespace ckpt {

inline uint64_t loadWord(const char *p)
{
    uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
}

inline uint32_t loadHalf(const char *p)
{
    uint32_t w;
    std::memcpy(&w, p, 4);
    return w;
}

/// Whether n bytes at a and b are equal.
inline bool sameBytes(const char *a, const char *b, size_t n)
{
    if (n >= 8) {
        for (size_t i = 0; i + 8 <= n; i += 8)
            if (loadWord(a + i) != loadWord(b + i)) return false;
        return loadWord(a + n - 8) == loadWord(b + n - 8); // the tail, overlapping
    }
    if (n >= 4) return loadHalf(a) == loadHalf(b) && loadHalf(a + n - 4) == loadHalf(b + n - 4);
    for (size_t i = 0; i < n; ++i)
        if (a[i] != b[i]) return false;
    return true;
}

inline bool sameName(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && sameBytes(a.data(), b.data(), a.size());
}

inline bool startsWith(std::string_view name, std::string_view prefix)
{
    return name.size() >= prefix.size() && sameBytes(name.data(), prefix.data(), prefix.size());
}

inline bool endsWith(std::string_view name, std::string_view suffix)
{
    return name.size() >= suffix.size() && sameBytes(name.data() + name.size() - suffix.size(), suffix.data(), suffix.size());
}

/// A 64-bit hash of a name, 16 bytes per multiply (wyhash's mixing): equal names, equal
/// hashes; the multiplies of a long name do not wait on each other's full latency chain.
inline uint64_t hashName(std::string_view name)
{
    constexpr uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull, k2 = 0x8ebc6af09c88c6e3ull;
    auto mix = [](uint64_t a, uint64_t b) {
        const __uint128_t product = __uint128_t(a) * b;
        return uint64_t(product) ^ uint64_t(product >> 64);
    };
    const char *p = name.data();
    size_t n = name.size();
    uint64_t seed = k0 ^ n;
    for (; n > 16; n -= 16, p += 16) seed = mix(loadWord(p) ^ k1, loadWord(p + 8) ^ seed);
    uint64_t a = 0, b = 0;
    if (n >= 8) {
        a = loadWord(p);
        b = loadWord(p + n - 8);
    } else if (n >= 4) {
        a = loadHalf(p);
        b = loadHalf(p + n - 4);
    } else if (n > 0) {
        a = (uint64_t(uint8_t(p[0])) << 16) | (uint64_t(uint8_t(p[n / 2])) << 8) | uint8_t(p[n - 1]);
    }
    return mix(k1 ^ name.size(), mix(a ^ k1, b ^ seed ^ k2));
}

} // namespace ckpt
