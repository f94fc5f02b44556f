#pragma once

#include "model/base/format_error.h"

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace ckpt {

/// Reads a binary encoding front to back: little- and big-endian integers, LEB128 varints,
/// byte runs. Every read past the end throws FormatError("<what>: ends early").
class ByteCursor
{
public:
    ByteCursor(std::span<const uint8_t> bytes, std::string what) : m_bytes(bytes), m_what(std::move(what)) {}

    size_t position() const { return m_pos; }
    size_t left() const { return m_bytes.size() - m_pos; }

    std::span<const uint8_t> take(uint64_t n)
    {
        if (n > left()) fail("ends early");
        const auto out = m_bytes.subspan(m_pos, size_t(n));
        m_pos += size_t(n);
        return out;
    }
    std::string_view text(uint64_t n)
    {
        const auto b = take(n);
        return {reinterpret_cast<const char *>(b.data()), b.size()};
    }
    uint8_t u8() { return take(1)[0]; }
    uint32_t u32be()
    {
        const auto b = take(4);
        return uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | b[3];
    }
    uint64_t le(int bytes)
    {
        const auto b = take(uint64_t(bytes));
        uint64_t v = 0;
        for (int i = bytes; i-- > 0;) v = v << 8 | b[size_t(i)];
        return v;
    }
    /// An unsigned LEB128 of at most 64 bits.
    uint64_t varint()
    {
        uint64_t v = 0;
        for (int shift = 0;; shift += 7) {
            const uint8_t b = u8();
            if (shift == 63 && b > 1) fail("holds a varint past 64 bits");
            v |= uint64_t(b & 0x7f) << shift;
            if (!(b & 0x80)) return v;
        }
    }
    /// A varint that must not pass `max` (a count or a length that sizes what follows).
    uint64_t varint(uint64_t max, const char *field)
    {
        const uint64_t v = varint();
        if (v > max) fail(std::string(field) + " " + std::to_string(v) + " is past " + std::to_string(max));
        return v;
    }

    [[noreturn]] void fail(const std::string &why) const { throw FormatError(m_what + ": " + why); }

private:
    std::span<const uint8_t> m_bytes;
    std::string m_what;
    size_t m_pos = 0;
};

} // namespace ckpt
