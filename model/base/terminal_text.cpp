#include "model/base/terminal_text.h"

#include <cstdint>
#include <cstdio>

namespace ckpt {
namespace {

/// The code point at s[i] and its length in bytes; length 0 for a byte that does not start
/// a valid UTF-8 sequence (overlong forms and surrogates included).
std::pair<uint32_t, size_t> decode(std::string_view s, size_t i)
{
    const auto byte = [&](size_t k) { return uint8_t(s[k]); };
    const uint8_t b = byte(i);
    if (b < 0x80) return {b, 1};
    size_t n = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 && b < 0xe0 ? 2 : 0;
    if (n == 0 || i + n > s.size()) return {0, 0};
    uint32_t cp = b & (0xff >> (n + 1));
    for (size_t k = 1; k < n; ++k) {
        if ((byte(i + k) & 0xc0) != 0x80) return {0, 0};
        cp = (cp << 6) | (byte(i + k) & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
        return {0, 0};
    return {cp, n};
}

bool isWide(uint32_t cp)
{
    return (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf && cp != 0x303f) ||
           (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) ||
           (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) ||
           (cp >= 0x20000 && cp <= 0x3fffd);
}

bool isCombining(uint32_t cp)
{
    return (cp >= 0x300 && cp <= 0x36f) || (cp >= 0x1ab0 && cp <= 0x1aff) || (cp >= 0x1dc0 && cp <= 0x1dff) ||
           (cp >= 0x20d0 && cp <= 0x20ff) || (cp >= 0xfe20 && cp <= 0xfe2f) || cp == 0x200b || cp == 0x200d;
}

std::string hexByte(uint8_t b)
{
    char buf[5];
    std::snprintf(buf, sizeof buf, "\\x%02x", b);
    return buf;
}

} // namespace

std::string terminalText(std::string_view s)
{
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        const auto [cp, n] = decode(s, i);
        if (n == 0) {
            out += hexByte(uint8_t(s[i]));
            ++i;
            continue;
        }
        if (cp == '\n') out += "\\n";
        else if (cp == '\t') out += "\\t";
        else if (cp == '\r') out += "\\r";
        else if (cp == '\\') out += "\\\\";
        else if (cp < 0x20 || cp == 0x7f) out += hexByte(uint8_t(cp));
        else if (cp >= 0x80 && cp < 0xa0) { // C1 controls: their UTF-8 bytes
            for (size_t k = 0; k < n; ++k) out += hexByte(uint8_t(s[i + k]));
        } else {
            out.append(s.substr(i, n));
        }
        i += n;
    }
    return out;
}

bool isValidUtf8(std::string_view s)
{
    for (size_t i = 0; i < s.size();) {
        const size_t n = decode(s, i).second;
        if (n == 0) return false;
        i += n;
    }
    return true;
}

size_t terminalWidth(std::string_view s)
{
    size_t width = 0;
    for (size_t i = 0; i < s.size();) {
        const auto [cp, n] = decode(s, i);
        if (n == 0) {
            ++width; // shown as one replacement character, if at all
            ++i;
            continue;
        }
        width += isWide(cp) ? 2 : isCombining(cp) ? 0 : 1;
        i += n;
    }
    return width;
}

std::string padToWidth(std::string s, size_t width, bool right)
{
    const size_t has = terminalWidth(s);
    if (has >= width) return s;
    return right ? std::string(width - has, ' ') + s : s + std::string(width - has, ' ');
}

} // namespace ckpt
