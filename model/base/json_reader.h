#pragma once

#include "model/base/json_document.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ckpt {

/// Reads a JSON text front to back, one value at a time, with the rules JsonDocument states
/// (serde_json's: RFC 8259 only, valid UTF-8, paired surrogates, a nesting limit), keeping
/// nothing but the open containers. For texts too large to hold as a tree, and the parser
/// JsonDocument builds its tree with.
///
///     JsonReader r(text);
///     if (r.next() != Kind::Object) ...;
///     while (r.more()) {                 // true: a member's key is read (key()), then its value:
///         switch (r.next()) { ... }      // a scalar is read whole; a container is entered,
///     }                                  // its items read by more()/next(), or skip() it
///     r.finish();                        // nothing but whitespace follows
///
/// Every method throws JsonDocument::Error, with the byte offset where the text went wrong.
class JsonReader final
{
public:
    using Kind = JsonDocument::Kind;
    using Error = JsonDocument::Error;

    /// Checks the whole text is UTF-8 first. Texts of 4 GiB and more are refused.
    explicit JsonReader(std::string_view text, uint32_t maxDepth = 127);

    /// Reads the next value: a scalar whole (its content from string() or number()), the
    /// opening bracket of a container, which more() then steps through.
    Kind next();
    /// In the container next() last entered: reads the ',' or the closing bracket; true when
    /// another item follows (for an object, its key is read: key()), false when it closed.
    bool more();
    /// After next() entered a container: reads past the rest of it, checking it all.
    void skip();
    /// After the root value: only whitespace may follow.
    void finish();

    /// The last string read (a value, or the key more() read): unescaped. A view into the text
    /// when it held no escapes, else into the reader, valid until the next string.
    std::string_view string() const { return m_string; }
    std::string_view key() const { return m_key; }
    /// Whether string() / key() are views into the text (no escapes).
    bool stringInText() const { return m_stringInText; }
    bool keyInText() const { return m_keyInText; }
    /// The last UInt read.
    uint64_t number() const { return m_number; }
    /// Where the last value's text began and ended: [begin, end). For a container, end is set
    /// once more() has read its closing bracket.
    uint32_t begin() const { return m_valueBegin; }
    uint32_t end() const { return uint32_t(m_p - m_begin); }
    uint32_t keyBegin() const { return m_keyBegin; }
    uint32_t keyEnd() const { return m_keyEnd; }
    /// Containers open now.
    size_t depth() const { return m_open.size(); }

    /// The text from where the reader stands, for a caller that recognises a value of a form
    /// it knows straight from the bytes (a safetensors entry as writers write it), and steps
    /// over it with skipValue(from, to): rest()[from, to) must be one whole JSON value, checked
    /// by the caller as next() would have, and only whitespace before it. Anything else is
    /// left to next().
    std::string_view rest() const { return {m_p, size_t(m_end - m_p)}; }
    /// JSON's whitespace (RFC 8259: space, tab, line feed, carriage return; no form feed).
    static bool isSpace(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }
    void skipValue(size_t from, size_t to)
    {
        m_valueBegin = uint32_t(m_p + from - m_begin);
        m_p += to;
    }

private:
    [[noreturn]] void fail(const std::string &what) const;
    void checkUtf8();
    void skipSpace();
    void skipPlainCharacters();
    uint32_t hex4();
    Kind literal(const char *word, Kind kind);
    Kind readNumber();
    /// Reads a string at m_p into `out`; returns whether it is a view into the text.
    bool readString(std::string_view &out, std::string &scratch);

    struct Open
    {
        bool object;
        bool first; ///< no item read yet
    };

    const char *m_p;
    const char *m_begin;
    const char *m_end;
    uint32_t m_maxDepth;
    std::vector<Open> m_open;
    std::string_view m_string, m_key;
    std::string m_stringScratch, m_keyScratch;
    bool m_stringInText = true, m_keyInText = true;
    uint64_t m_number = 0;
    uint32_t m_valueBegin = 0, m_keyBegin = 0, m_keyEnd = 0;
};

} // namespace ckpt
