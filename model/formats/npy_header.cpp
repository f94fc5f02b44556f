#include "model/formats/npy_header.h"

#include "model/base/format_error.h"

#include <cstring>
#include <memory>
#include <string_view>
#include <tuple>

namespace ckpt {
namespace {

constexpr std::string_view kMagic = "\x93NUMPY";

[[noreturn]] void bad(const std::string &what)
{
    throw FormatError("npy: " + what);
}

/// A Python literal as numpy.load's header reader (ast.literal_eval) takes it: strings,
/// integers, True/False/None, tuples, lists and dicts.
struct Literal
{
    enum class Kind { String, Int, Bool, None, Tuple, List, Dict } kind = Kind::None;
    std::string text;
    uint64_t integer = 0;
    bool negative = false;
    std::vector<Literal> items; ///< Dict: key, value, key, value...
};

class LiteralParser
{
public:
    explicit LiteralParser(std::string_view s) : m_s(s) {}

    Literal parseAll()
    {
        Literal v = parse(0);
        skipSpace();
        if (m_pos != m_s.size()) bad("header has text after its dict");
        return v;
    }

private:
    void skipSpace()
    {
        while (m_pos < m_s.size() && (m_s[m_pos] == ' ' || m_s[m_pos] == '\t' || m_s[m_pos] == '\n' || m_s[m_pos] == '\r'))
            ++m_pos;
    }

    bool take(char c)
    {
        skipSpace();
        if (m_pos < m_s.size() && m_s[m_pos] == c) return ++m_pos, true;
        return false;
    }

    Literal parse(int depth)
    {
        if (depth > 32) bad("header nests deeper than 32 levels");
        skipSpace();
        if (m_pos >= m_s.size()) bad("header ends early");
        const char c = m_s[m_pos];
        if (c == '\'' || c == '"') return string();
        if (c == '(') return sequence(Literal::Kind::Tuple, ')', depth);
        if (c == '[') return sequence(Literal::Kind::List, ']', depth);
        if (c == '{') return dict(depth);
        if (c == '-' || (c >= '0' && c <= '9')) return number();
        for (auto [word, kind, truth] : {std::tuple{"True", Literal::Kind::Bool, true},
                                         std::tuple{"False", Literal::Kind::Bool, false},
                                         std::tuple{"None", Literal::Kind::None, false}}) {
            const size_t n = std::strlen(word);
            if (m_s.substr(m_pos, n) == word) {
                m_pos += n;
                Literal v;
                v.kind = kind;
                v.integer = truth;
                return v;
            }
        }
        bad(std::string("header holds something other than a literal at '") + c + "'");
    }

    Literal string()
    {
        const char quote = m_s[m_pos++];
        Literal v;
        v.kind = Literal::Kind::String;
        while (m_pos < m_s.size() && m_s[m_pos] != quote) {
            if (m_s[m_pos] == '\\') {
                if (++m_pos >= m_s.size()) break;
            }
            v.text += m_s[m_pos++];
        }
        if (m_pos >= m_s.size()) bad("header has an unterminated string");
        ++m_pos;
        return v;
    }

    Literal number()
    {
        Literal v;
        v.kind = Literal::Kind::Int;
        if (m_s[m_pos] == '-') v.negative = true, ++m_pos;
        const size_t begin = m_pos;
        while (m_pos < m_s.size() && m_s[m_pos] >= '0' && m_s[m_pos] <= '9') {
            const uint64_t digit = uint64_t(m_s[m_pos] - '0');
            if (v.integer > (UINT64_MAX - digit) / 10) bad("header has a number too large");
            v.integer = v.integer * 10 + digit;
            ++m_pos;
        }
        if (m_pos == begin) bad("header has a lone '-'");
        if (m_pos < m_s.size() && (m_s[m_pos] == '.' || m_s[m_pos] == 'e' || m_s[m_pos] == 'L'))
            bad("header has a number that is not an integer");
        return v;
    }

    Literal sequence(Literal::Kind kind, char close, int depth)
    {
        ++m_pos;
        Literal v;
        v.kind = kind;
        bool comma = true;
        while (!take(close)) {
            if (!comma) bad("header misses a comma");
            v.items.push_back(parse(depth + 1));
            comma = take(',');
        }
        // (x) is x, not a tuple: Python needs the comma
        if (kind == Literal::Kind::Tuple && v.items.size() == 1 && !comma) return std::move(v.items.front());
        return v;
    }

    Literal dict(int depth)
    {
        ++m_pos;
        Literal v;
        v.kind = Literal::Kind::Dict;
        bool comma = true;
        while (!take('}')) {
            if (!comma) bad("header misses a comma");
            v.items.push_back(parse(depth + 1));
            if (!take(':')) bad("header misses a ':' in its dict");
            v.items.push_back(parse(depth + 1));
            comma = take(',');
        }
        return v;
    }

    std::string_view m_s;
    size_t m_pos = 0;
};

/// The type strings of a descr: "<f4", or [('name', descr[, shape]), ...] as
/// numpy.lib.format.descr_to_dtype reads it.
void collectTypes(const Literal &descr, NpyHeader &h, int depth)
{
    if (descr.kind == Literal::Kind::String) {
        h.typeStrings.push_back(descr.text);
        return;
    }
    if (descr.kind != Literal::Kind::List || depth > 16) bad("'descr' is neither a type string nor a field list");
    h.structured = true;
    for (const Literal &field : descr.items) {
        if (field.kind != Literal::Kind::Tuple || field.items.size() < 2 || field.items.size() > 3)
            bad("a field of 'descr' is not (name, type[, shape])");
        collectTypes(field.items[1], h, depth + 1);
    }
}

} // namespace

bool NpyHeader::holdsObjects() const
{
    for (const auto &t : typeStrings) {
        const std::string_view s = t;
        const size_t kind = !s.empty() && std::strchr("<>|=", s.front()) ? 1 : 0;
        if (s.size() > kind && s[kind] == 'O') return true;
    }
    return false;
}

bool looksLikeNpy(ByteView head)
{
    return head.size() >= kMagic.size() && std::memcmp(head.data(), kMagic.data(), kMagic.size()) == 0;
}

NpyHeader parseNpyHeader(ByteView bytes)
{
    if (!looksLikeNpy(bytes)) bad("no \\x93NUMPY magic");
    if (bytes.size() < 10) bad("truncated header");
    NpyHeader h;
    h.major = bytes[6];
    h.minor = bytes[7];
    uint64_t length = 0, at = 0;
    if (h.major == 1) {
        length = uint64_t(bytes[8]) | uint64_t(bytes[9]) << 8;
        at = 10;
    } else if (h.major == 2 || h.major == 3) {
        if (bytes.size() < 12) bad("truncated header");
        for (int i = 0; i < 4; ++i) length |= uint64_t(bytes[8 + i]) << (8 * i);
        at = 12;
    } else {
        bad("format version " + std::to_string(h.major) + "." + std::to_string(h.minor) + " is not 1, 2 or 3");
    }
    if (length > bytes.size() - at) bad("the header runs past the end of the file");
    const std::string_view text(reinterpret_cast<const char *>(bytes.data() + at), length);
    h.dataOffset = at + length;
    const Literal dict = LiteralParser(text).parseAll();
    if (dict.kind != Literal::Kind::Dict) bad("the header is not a dict");
    bool seen[3] = {false, false, false};
    for (size_t i = 0; i + 1 < dict.items.size(); i += 2) {
        const Literal &key = dict.items[i], &value = dict.items[i + 1];
        if (key.kind != Literal::Kind::String) bad("the header has a key that is not a string");
        if (key.text == "descr") {
            collectTypes(value, h, 0);
            seen[0] = true;
        } else if (key.text == "fortran_order") {
            if (value.kind != Literal::Kind::Bool) bad("'fortran_order' is not True or False");
            h.fortranOrder = value.integer != 0;
            seen[1] = true;
        } else if (key.text == "shape") {
            if (value.kind != Literal::Kind::Tuple) bad("'shape' is not a tuple");
            for (const Literal &d : value.items) {
                if (d.kind != Literal::Kind::Int || d.negative) bad("'shape' holds something other than sizes");
                h.shape.push_back(d.integer);
            }
            seen[2] = true;
        } else {
            bad("the header has an unexpected key '" + key.text + "'");
        }
    }
    if (!seen[0] || !seen[1] || !seen[2]) bad("the header lacks 'descr', 'fortran_order' or 'shape'");
    return h;
}

} // namespace ckpt
