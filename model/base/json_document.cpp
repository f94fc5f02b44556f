#include "model/base/json_document.h"

#include "model/base/text_escapes.h"

#include <cstring>

namespace ckpt {

/// Recursive descent over the text; children of open containers wait on a stack and move to
/// their slots when the container closes, so every byte and node is handled once.
class JsonDocument::Parser final
{
public:
    Parser(JsonDocument &doc, std::string_view text, uint32_t maxDepth)
        : m_doc(doc), m_p(text.data()), m_begin(text.data()), m_end(text.data() + text.size()), m_maxDepth(maxDepth)
    {
    }

    void run()
    {
        checkUtf8();
        skipSpace();
        m_doc.m_root = value(0);
        skipSpace();
        if (m_p != m_end) fail("trailing characters");
    }

private:
    [[noreturn]] void fail(const std::string &what) const { throw Error(what, uint64_t(m_p - m_begin)); }

    void checkUtf8()
    {
        const auto *s = reinterpret_cast<const unsigned char *>(m_begin);
        const auto *e = reinterpret_cast<const unsigned char *>(m_end);
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
            else throw Error("invalid UTF-8", uint64_t(s - reinterpret_cast<const unsigned char *>(m_begin)));
            if (e - s <= n) throw Error("invalid UTF-8", uint64_t(s - reinterpret_cast<const unsigned char *>(m_begin)));
            for (int i = 1; i <= n; ++i) {
                if ((s[i] & 0xC0) != 0x80)
                    throw Error("invalid UTF-8", uint64_t(s - reinterpret_cast<const unsigned char *>(m_begin)));
                cp = (cp << 6) | (s[i] & 0x3F);
            }
            static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
            if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                throw Error("invalid UTF-8", uint64_t(s - reinterpret_cast<const unsigned char *>(m_begin)));
            s += n + 1;
        }
    }

    void skipSpace()
    {
        while (m_p < m_end && (*m_p == ' ' || *m_p == '\n' || *m_p == '\t' || *m_p == '\r')) ++m_p;
    }

    uint32_t add(Kind kind, const char *begin)
    {
        Node n;
        n.kind = kind;
        n.begin = uint32_t(begin - m_begin);
        m_doc.m_nodes.push_back(n);
        return uint32_t(m_doc.m_nodes.size() - 1);
    }

    void close(uint32_t index) { m_doc.m_nodes[index].end = uint32_t(m_p - m_begin); }

    uint32_t value(uint32_t depth)
    {
        if (m_p == m_end) fail("EOF while parsing a value");
        switch (*m_p) {
        case '{': return container(depth, true);
        case '[': return container(depth, false);
        case '"': return string();
        case 't': return literal("true", Kind::True);
        case 'f': return literal("false", Kind::False);
        case 'n': return literal("null", Kind::Null);
        default:
            if (*m_p == '-' || (*m_p >= '0' && *m_p <= '9')) return number();
            fail("expected value");
        }
    }

    uint32_t literal(const char *word, Kind kind)
    {
        const size_t n = std::strlen(word);
        if (size_t(m_end - m_p) < n || std::memcmp(m_p, word, n) != 0) fail("expected value");
        const uint32_t index = add(kind, m_p);
        m_p += n;
        close(index);
        return index;
    }

    uint32_t number()
    {
        const char *start = m_p;
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
        // serde_json reads -0 and integers past u64 as floating point.
        const Kind kind = fractional || overflow || (negative && u == 0) ? Kind::Float
                          : negative                                      ? Kind::NegInt
                                                                          : Kind::UInt;
        const uint32_t index = add(kind, start);
        if (kind == Kind::UInt) m_doc.m_nodes[index].value = u;
        close(index);
        return index;
    }

    uint32_t hex4()
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

    uint32_t string()
    {
        const uint32_t index = add(Kind::String, m_p);
        ++m_p;
        const char *run = m_p;
        std::string *decoded = nullptr;
        for (;;) {
            if (m_p == m_end) fail("EOF while parsing a string");
            const unsigned char c = static_cast<unsigned char>(*m_p);
            if (c == '"') break;
            if (c < 0x20) fail("control character while parsing a string");
            if (c != '\\') {
                ++m_p;
                continue;
            }
            if (!decoded) {
                decoded = &m_doc.m_escaped.emplace_back();
                m_doc.m_nodes[index].value = m_doc.m_escaped.size();
            }
            decoded->append(run, size_t(m_p - run));
            ++m_p;
            if (m_p == m_end) fail("EOF while parsing a string");
            const char e = *m_p++;
            switch (e) {
            case '"': *decoded += '"'; break;
            case '\\': *decoded += '\\'; break;
            case '/': *decoded += '/'; break;
            case 'b': *decoded += '\b'; break;
            case 'f': *decoded += '\f'; break;
            case 'n': *decoded += '\n'; break;
            case 'r': *decoded += '\r'; break;
            case 't': *decoded += '\t'; break;
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
                appendUtf8(*decoded, cp);
                break;
            }
            default: fail("invalid escape");
            }
            run = m_p;
        }
        if (decoded) decoded->append(run, size_t(m_p - run));
        ++m_p;
        close(index);
        return index;
    }

    uint32_t container(uint32_t depth, bool object)
    {
        if (depth + 1 > m_maxDepth) fail("recursion limit exceeded");
        const uint32_t index = add(object ? Kind::Object : Kind::Array, m_p);
        ++m_p;
        const size_t mark = m_stack.size();
        skipSpace();
        const char closer = object ? '}' : ']';
        if (m_p < m_end && *m_p == closer) {
            ++m_p;
        } else {
            for (;;) {
                skipSpace();
                if (object) {
                    if (m_p == m_end || *m_p != '"') fail(m_p == m_end ? "EOF while parsing an object" : "key must be a string");
                    m_stack.push_back(string());
                    skipSpace();
                    if (m_p == m_end || *m_p != ':') fail("expected ':'");
                    ++m_p;
                    skipSpace();
                }
                m_stack.push_back(value(depth + 1));
                skipSpace();
                if (m_p == m_end) fail(object ? "EOF while parsing an object" : "EOF while parsing a list");
                if (*m_p == ',') {
                    ++m_p;
                    continue;
                }
                if (*m_p != closer) fail(object ? "expected ',' or '}'" : "expected ',' or ']'");
                ++m_p;
                break;
            }
        }
        Node &n = m_doc.m_nodes[index];
        n.value = m_doc.m_children.size();
        const size_t slots = m_stack.size() - mark;
        n.count = uint32_t(object ? slots / 2 : slots);
        m_doc.m_children.insert(m_doc.m_children.end(), m_stack.begin() + std::ptrdiff_t(mark), m_stack.end());
        m_stack.resize(mark);
        close(index);
        return index;
    }

    JsonDocument &m_doc;
    const char *m_p;
    const char *m_begin;
    const char *m_end;
    uint32_t m_maxDepth;
    std::vector<uint32_t> m_stack;
};

JsonDocument JsonDocument::parse(std::string_view text, uint32_t maxDepth)
{
    if (text.size() >= (uint64_t(1) << 32)) throw Error("a JSON text of 4 GiB or more", 0);
    JsonDocument doc;
    doc.m_text = text;
    doc.m_nodes.reserve(text.size() / 16 + 4);
    Parser(doc, text, maxDepth).run();
    return doc;
}

std::string_view jsonKindName(JsonDocument::Kind kind)
{
    switch (kind) {
    case JsonDocument::Kind::Null: return "null";
    case JsonDocument::Kind::False:
    case JsonDocument::Kind::True: return "boolean";
    case JsonDocument::Kind::UInt:
    case JsonDocument::Kind::NegInt: return "integer";
    case JsonDocument::Kind::Float: return "floating point";
    case JsonDocument::Kind::String: return "string";
    case JsonDocument::Kind::Array: return "sequence";
    case JsonDocument::Kind::Object: return "map";
    }
    return "value";
}

} // namespace ckpt
