#include "model/pickle/pickle_text.h"

#include "model/base/text_escapes.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <vector>

namespace ckpt {

std::optional<int64_t> parseDecimalInt(std::string_view s)
{
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    int64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

bool isDecimalInt(std::string_view s)
{
    if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

std::optional<double> parseFloatLiteral(std::string_view s)
{
    std::string text(s);
    if (text.empty()) return std::nullopt;
    char *end = nullptr;
    const double d = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size()) return std::nullopt;
    return d;
}

std::optional<std::string> decodeQuotedString(std::string_view q)
{
    if (q.size() < 2 || q.front() != q.back() || (q.front() != '\'' && q.front() != '"'))
        return std::nullopt;
    q = q.substr(1, q.size() - 2);
    std::string out;
    for (size_t i = 0; i < q.size(); ++i) {
        if (q[i] != '\\' || i + 1 == q.size()) {
            out += q[i];
            continue;
        }
        const char c = q[++i];
        switch (c) {
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'a': out += '\a'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'v': out += '\v'; break;
        case '\\': case '\'': case '"': out += c; break;
        case 'x':
            if (i + 2 < q.size() && hexDigit(q[i + 1]) >= 0 && hexDigit(q[i + 2]) >= 0) {
                out += char(hexDigit(q[i + 1]) * 16 + hexDigit(q[i + 2]));
                i += 2;
            } else {
                return std::nullopt;
            }
            break;
        default:
            if (c >= '0' && c <= '7') {
                int v = c - '0';
                for (int k = 0; k < 2 && i + 1 < q.size() && q[i + 1] >= '0' && q[i + 1] <= '7'; ++k)
                    v = v * 8 + (q[++i] - '0');
                out += char(v & 0xFF);
            } else {
                out += '\\';
                out += c;
            }
        }
    }
    return out;
}

std::string decodeRawUnicodeEscape(std::string_view s)
{
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == 'u' || s[i + 1] == 'U')) {
            const size_t n = s[i + 1] == 'u' ? 4 : 8;
            if (i + 2 + n <= s.size()) {
                uint32_t cp = 0;
                bool ok = true;
                for (size_t k = 0; k < n; ++k) {
                    const int h = hexDigit(s[i + 2 + k]);
                    ok = ok && h >= 0;
                    cp = cp * 16 + uint32_t(h < 0 ? 0 : h);
                }
                if (ok && cp <= 0x10FFFF) {
                    appendUtf8(out, cp);
                    i += 1 + n;
                    continue;
                }
            }
        }
        appendUtf8(out, uint8_t(s[i])); // other bytes are Latin-1
    }
    return out;
}

std::string pythonFloatRepr(double d)
{
    if (std::isnan(d)) return "nan";
    if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
    // Shortest round-trip digits in scientific form, then laid out by Python's rule:
    // positional when -4 <= exponent < 16, scientific otherwise.
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
    std::string sci(buf, r.ptr);
    const auto e = sci.find('e');
    std::string mant = sci.substr(0, e);
    const int exp = std::atoi(sci.c_str() + e + 1);
    const bool neg = mant.front() == '-';
    if (neg) mant.erase(0, 1);
    std::string digits;
    for (char c : mant)
        if (c != '.') digits += c;
    std::string out = neg ? "-" : "";
    if (exp >= -4 && exp < 16) {
        if (exp < 0) {
            out += "0." + std::string(size_t(-exp - 1), '0') + digits;
        } else if (size_t(exp) + 1 >= digits.size()) {
            out += digits + std::string(size_t(exp) + 1 - digits.size(), '0') + ".0";
        } else {
            out += digits.substr(0, size_t(exp) + 1) + "." + digits.substr(size_t(exp) + 1);
        }
        return out;
    }
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char ebuf[16];
    std::snprintf(ebuf, sizeof ebuf, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    return out + ebuf;
}

std::string pythonStrRepr(std::string_view s)
{
    const bool hasSingle = s.find('\'') != std::string_view::npos;
    const bool hasDouble = s.find('"') != std::string_view::npos;
    const char quote = hasSingle && !hasDouble ? '"' : '\'';
    std::string out(1, quote);
    for (unsigned char c : s) {
        if (c == '\\') out += "\\\\";
        else if (c == char(quote)) out += std::string("\\") + char(quote);
        else if (c == '\n') out += "\\n";
        else if (c == '\r') out += "\\r";
        else if (c == '\t') out += "\\t";
        else if (c < 0x20 || c == 0x7F) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        } else out += char(c);
    }
    return out + quote;
}

std::string pythonBytesRepr(std::string_view s)
{
    const bool hasSingle = s.find('\'') != std::string_view::npos;
    const bool hasDouble = s.find('"') != std::string_view::npos;
    const char quote = hasSingle && !hasDouble ? '"' : '\'';
    std::string out = "b";
    out += quote;
    for (unsigned char c : s) {
        if (c == '\\') out += "\\\\";
        else if (c == char(quote)) out += std::string("\\") + char(quote);
        else if (c == '\n') out += "\\n";
        else if (c == '\r') out += "\\r";
        else if (c == '\t') out += "\\t";
        else if (c < 0x20 || c >= 0x7F) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        } else out += char(c);
    }
    return out + quote;
}

std::string bigIntText(std::string_view le)
{
    if (le.size() > 64) return "<int of " + std::to_string(le.size() * 8) + " bits>";
    // Magnitude in base 1e9 limbs; fine for the short values real pickles carry.
    std::vector<uint8_t> bytes(le.begin(), le.end());
    const bool neg = !bytes.empty() && (bytes.back() & 0x80);
    if (neg) { // two's complement negate
        unsigned carry = 1;
        for (auto &b : bytes) {
            const unsigned v = unsigned(uint8_t(~b)) + carry;
            b = uint8_t(v);
            carry = v >> 8;
        }
    }
    std::vector<uint32_t> limbs{0}; // little-endian base 1e9
    for (size_t i = bytes.size(); i-- > 0;) {
        uint64_t carry = bytes[i];
        for (auto &l : limbs) {
            const uint64_t v = uint64_t(l) * 256 + carry;
            l = uint32_t(v % 1000000000);
            carry = v / 1000000000;
        }
        while (carry) {
            limbs.push_back(uint32_t(carry % 1000000000));
            carry /= 1000000000;
        }
    }
    std::string out = neg ? "-" : "";
    out += std::to_string(limbs.back());
    for (size_t i = limbs.size() - 1; i-- > 0;) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "%09u", limbs[i]);
        out += buf;
    }
    return out;
}

} // namespace ckpt
