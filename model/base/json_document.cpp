#include "model/base/json_document.h"

#include "model/base/json_reader.h"

namespace ckpt {

/// Builds the tree from a JsonReader: children of open containers wait on a stack and move
/// to their slots when the container closes, so every byte and node is handled once.
class JsonDocument::Parser final
{
public:
    Parser(JsonDocument &doc, std::string_view text, uint32_t maxDepth) : m_doc(doc), m_reader(text, maxDepth) {}

    void run()
    {
        m_doc.m_root = build(m_reader.next());
        m_reader.finish();
    }

private:
    uint32_t add(Kind kind, uint32_t begin)
    {
        Node n;
        n.kind = kind;
        n.begin = begin;
        m_doc.m_nodes.push_back(n);
        return uint32_t(m_doc.m_nodes.size() - 1);
    }

    uint32_t addKey()
    {
        const uint32_t index = add(Kind::String, m_reader.keyBegin());
        Node &n = m_doc.m_nodes[index];
        n.end = m_reader.keyEnd();
        if (!m_reader.keyInText()) {
            m_doc.m_escaped.emplace_back(m_reader.key());
            n.value = m_doc.m_escaped.size();
        }
        return index;
    }

    uint32_t build(Kind kind)
    {
        const uint32_t index = add(kind, m_reader.begin());
        if (kind == Kind::UInt) {
            m_doc.m_nodes[index].value = m_reader.number();
        } else if (kind == Kind::String && !m_reader.stringInText()) {
            m_doc.m_escaped.emplace_back(m_reader.string());
            m_doc.m_nodes[index].value = m_doc.m_escaped.size();
        } else if (kind == Kind::Array || kind == Kind::Object) {
            const size_t mark = m_stack.size();
            while (m_reader.more()) {
                if (kind == Kind::Object) m_stack.push_back(addKey());
                m_stack.push_back(build(m_reader.next()));
            }
            Node &n = m_doc.m_nodes[index];
            n.value = m_doc.m_children.size();
            const size_t slots = m_stack.size() - mark;
            n.count = uint32_t(kind == Kind::Object ? slots / 2 : slots);
            m_doc.m_children.insert(m_doc.m_children.end(), m_stack.begin() + std::ptrdiff_t(mark), m_stack.end());
            m_stack.resize(mark);
        }
        m_doc.m_nodes[index].end = m_reader.end();
        return index;
    }

    JsonDocument &m_doc;
    JsonReader m_reader;
    std::vector<uint32_t> m_stack;
};

JsonDocument JsonDocument::parse(std::string_view text, uint32_t maxDepth)
{
    JsonDocument doc;
    doc.m_text = text;
    Parser parser(doc, text, maxDepth);
    doc.m_nodes.reserve(text.size() / 16 + 4);
    parser.run();
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
