#include "model/base/json_reader.h"

#include "model/base/text_escapes.h"

#include <cstring>

namespace ckpt {

JsonReader::JsonReader(std::string_view text, uint32_t maxDepth)
    : m_p(text.data()), m_begin(text.data()), m_end(text.data() + text.size()), m_maxDepth(maxDepth)
{
    if (text.size() >= (uint64_t(1) << 32)) throw Error("a JSON text of 4 GiB or more", 0);
    checkUtf8();
}

void JsonReader::fail(const std::string &what) const
{
    throw Error(what, uint64_t(m_p - m_begin));
}

void JsonReader::checkUtf8()
{
    const auto *s = reinterpret_cast<const unsigned char *>(m_begin);
    const auto *e = reinterpret_cast<const unsigned char *>(m_end);
    const auto at = [&] { return uint64_t(s - reinterpret_cast<const unsigned char *>(m_begin)); };
    while (s < e) {
        if (e - s >= 8) {
            uint64_t word;
            std::memcpy(&word, s, 8);
            if (!(word & 0x8080808080808080ull)) {
                s += 8;
                continue;
            }
        }
        if (*s < 0x80) {
            ++s;
            continue;
        }
        int n = 0;
        uint32_t cp = 0;
        if ((*s & 0xE0) == 0xC0) n = 1, cp = *s & 0x1F;
        else if ((*s & 0xF0) == 0xE0) n = 2, cp = *s & 0x0F;
        else if ((*s & 0xF8) == 0xF0) n = 3, cp = *s & 0x07;
        else throw Error("invalid UTF-8", at());
        if (e - s <= n) throw Error("invalid UTF-8", at());
        for (int i = 1; i <= n; ++i) {
            if ((s[i] & 0xC0) != 0x80) throw Error("invalid UTF-8", at());
            cp = (cp << 6) | (s[i] & 0x3F);
        }
        static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
        if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) throw Error("invalid UTF-8", at());
        s += n + 1;
    }
}

void JsonReader::skipSpace()
{
    while (m_p < m_end && isSpace(*m_p)) ++m_p;
}

JsonReader::Kind JsonReader::next()
{
    skipSpace();
    m_valueBegin = uint32_t(m_p - m_begin);
    if (m_p == m_end) fail("EOF while parsing a value");
    switch (*m_p) {
    case '{':
    case '[':
        if (m_open.size() + 1 > m_maxDepth) fail("recursion limit exceeded");
        m_open.push_back({*m_p == '{', true});
        return *m_p++ == '{' ? Kind::Object : Kind::Array;
    case '"': m_stringInText = readString(m_string, m_stringScratch); return Kind::String;
    case 't': return literal("true", Kind::True);
    case 'f': return literal("false", Kind::False);
    case 'n': return literal("null", Kind::Null);
    default:
        if (*m_p == '-' || (*m_p >= '0' && *m_p <= '9')) return readNumber();
        fail("expected value");
    }
}

bool JsonReader::more()
{
    Open &top = m_open.back();
    const char closer = top.object ? '}' : ']';
    skipSpace();
    if (top.first) {
        top.first = false;
        if (m_p < m_end && *m_p == closer) {
            ++m_p;
            m_open.pop_back();
            return false;
        }
    } else {
        if (m_p == m_end) fail(top.object ? "EOF while parsing an object" : "EOF while parsing a list");
        if (*m_p == closer) {
            ++m_p;
            m_open.pop_back();
            return false;
        }
        if (*m_p != ',') fail(top.object ? "expected ',' or '}'" : "expected ',' or ']'");
        ++m_p;
    }
    if (top.object) {
        skipSpace();
        if (m_p == m_end || *m_p != '"') fail(m_p == m_end ? "EOF while parsing an object" : "key must be a string");
        m_keyBegin = uint32_t(m_p - m_begin);
        m_keyInText = readString(m_key, m_keyScratch);
        m_keyEnd = uint32_t(m_p - m_begin);
        skipSpace();
        if (m_p == m_end || *m_p != ':') fail("expected ':'");
        ++m_p;
    }
    return true;
}

void JsonReader::skip()
{
    const size_t outer = m_open.size() - 1;
    while (m_open.size() > outer)
        if (more()) next();
}

void JsonReader::finish()
{
    skipSpace();
    if (m_p != m_end) fail("trailing characters");
}

JsonReader::Kind JsonReader::literal(const char *word, Kind kind)
{
    const size_t n = std::strlen(word);
    if (size_t(m_end - m_p) < n || std::memcmp(m_p, word, n) != 0) fail("expected value");
    m_p += n;
    return kind;
}

JsonReader::Kind JsonReader::readNumber()
{
    const bool negative = *m_p == '-';
    if (negative) ++m_p;
    if (m_p == m_end || *m_p < '0' || *m_p > '9') fail("invalid number");
    uint64_t u = 0;
    bool overflow = false;
    if (*m_p == '0') {
        ++m_p;
    } else {
        while (m_p < m_end && *m_p >= '0' && *m_p <= '9') {
            const uint64_t digit = uint64_t(*m_p - '0');
            if (u > (UINT64_MAX - digit) / 10) overflow = true;
            u = u * 10 + digit;
            ++m_p;
        }
    }
    bool fractional = false;
    if (m_p < m_end && *m_p == '.') {
        fractional = true;
        ++m_p;
        if (m_p == m_end || *m_p < '0' || *m_p > '9') fail("invalid number");
        while (m_p < m_end && *m_p >= '0' && *m_p <= '9') ++m_p;
    }
    if (m_p < m_end && (*m_p == 'e' || *m_p == 'E')) {
        fractional = true;
        ++m_p;
        if (m_p < m_end && (*m_p == '+' || *m_p == '-')) ++m_p;
        if (m_p == m_end || *m_p < '0' || *m_p > '9') fail("invalid number");
        while (m_p < m_end && *m_p >= '0' && *m_p <= '9') ++m_p;
    }
    m_number = u;
    // serde_json reads -0 and integers past u64 as floating point.
    if (fractional || overflow || (negative && u == 0)) return Kind::Float;
    return negative ? Kind::NegInt : Kind::UInt;
}

uint32_t JsonReader::hex4()
{
    if (m_end - m_p < 4) fail("unexpected end of hex escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
        const int d = hexDigit(m_p[i]);
        if (d < 0) fail("invalid escape");
        v = v * 16 + uint32_t(d);
    }
    m_p += 4;
    return v;
}

// Moves past the characters a string holds as they are (not '"', '\\' or a control
// character), eight at a time.
void JsonReader::skipPlainCharacters()
{
    constexpr uint64_t kOnes = 0x0101010101010101ull;
    constexpr uint64_t kHigh = 0x8080808080808080ull;
    while (m_end - m_p >= 8) {
        uint64_t w;
        std::memcpy(&w, m_p, 8);
        const uint64_t quote = w ^ (kOnes * '"');
        const uint64_t backslash = w ^ (kOnes * '\\');
        // (x - 0x01..) & ~x has a high bit set exactly when some byte of x is zero, and
        // (x - 0x20..) & ~x when some byte is below 0x20: whether any is, not which.
        const uint64_t special = ((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash) |
                                 ((w - kOnes * 0x20) & ~w);
        if (special & kHigh) return;
        m_p += 8;
    }
}

bool JsonReader::readString(std::string_view &out, std::string &scratch)
{
    ++m_p;
    const char *start = m_p;
    const char *run = m_p;
    bool escaped = false;
    for (;;) {
        skipPlainCharacters();
        if (m_p == m_end) fail("EOF while parsing a string");
        const unsigned char c = static_cast<unsigned char>(*m_p);
        if (c == '"') break;
        if (c < 0x20) fail("control character while parsing a string");
        if (c != '\\') {
            ++m_p;
            continue;
        }
        if (!escaped) {
            escaped = true;
            scratch.clear();
        }
        scratch.append(run, size_t(m_p - run));
        ++m_p;
        if (m_p == m_end) fail("EOF while parsing a string");
        const char e = *m_p++;
        switch (e) {
        case '"': scratch += '"'; break;
        case '\\': scratch += '\\'; break;
        case '/': scratch += '/'; break;
        case 'b': scratch += '\b'; break;
        case 'f': scratch += '\f'; break;
        case 'n': scratch += '\n'; break;
        case 'r': scratch += '\r'; break;
        case 't': scratch += '\t'; break;
        case 'u': {
            uint32_t cp = hex4();
            if (cp >= 0xDC00 && cp <= 0xDFFF) fail("lone leading surrogate in hex escape");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (m_end - m_p < 2 || m_p[0] != '\\' || m_p[1] != 'u') fail("unexpected end of hex escape");
                m_p += 2;
                const uint32_t low = hex4();
                if (low < 0xDC00 || low > 0xDFFF) fail("lone leading surrogate in hex escape");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            }
            appendUtf8(scratch, cp);
            break;
        }
        default: fail("invalid escape");
        }
        run = m_p;
    }
    if (escaped) {
        scratch.append(run, size_t(m_p - run));
        out = scratch;
    } else {
        out = std::string_view(start, size_t(m_p - start));
    }
    ++m_p;
    return !escaped;
}

} // namespace ckpt
