#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ckpt {

/// A JSON text read strictly, the way serde_json reads it (RFC 8259: no comments, no trailing
/// commas, whitespace only ' ', '\t', '\n', '\r', valid UTF-8, paired surrogates, a nesting
/// limit), in one linear pass into a flat tree. Objects keep every member in order, duplicate
/// keys included, so that each caller applies the rule of the format it reads. Strings are
/// views into the text, or into the document when they held escapes: keep the text alive.
class JsonDocument final
{
public:
    enum class Kind : uint8_t { Null, False, True, UInt, NegInt, Float, String, Array, Object };

    struct Node
    {
        Kind kind = Kind::Null;
        uint32_t count = 0;  ///< elements of an array, members of an object
        uint64_t value = 0;  ///< UInt: the number; Array/Object: first child slot; String: escaped index + 1 (0: none)
        uint32_t begin = 0;  ///< where the value's text starts and ends, [begin, end)
        uint32_t end = 0;
    };

    /// Why a text is not JSON, and the byte offset where that shows.
    class Error final : public std::runtime_error
    {
    public:
        Error(const std::string &what, uint64_t offset) : std::runtime_error(what), m_offset(offset) {}
        uint64_t offset() const { return m_offset; }

    private:
        uint64_t m_offset;
    };

    /// Throws Error. `maxDepth` arrays and objects may nest (serde_json allows 127). Texts of
    /// 4 GiB and more are refused.
    static JsonDocument parse(std::string_view text, uint32_t maxDepth = 127);

    const Node &root() const { return m_nodes[m_root]; }
    /// An array's elements, or an object's members as key, value, key, value, ...
    std::span<const uint32_t> children(const Node &n) const
    {
        const size_t slots = n.kind == Kind::Object ? 2 * size_t(n.count) : n.count;
        return {m_children.data() + n.value, slots};
    }
    const Node &node(uint32_t index) const { return m_nodes[index]; }
    /// A string's content (unescaped).
    std::string_view string(const Node &n) const
    {
        if (n.value) return m_escaped[size_t(n.value - 1)];
        return m_text.substr(size_t(n.begin + 1), size_t(n.end - n.begin - 2));
    }
    /// The value's text as it stands in the document.
    std::string_view source(const Node &n) const { return m_text.substr(size_t(n.begin), size_t(n.end - n.begin)); }

private:
    class Parser;

    std::string_view m_text;
    std::vector<Node> m_nodes;
    std::vector<uint32_t> m_children;
    std::deque<std::string> m_escaped;
    uint32_t m_root = 0;
};

/// "null", "object", ... for messages.
std::string_view jsonKindName(JsonDocument::Kind kind);

} // namespace ckpt
