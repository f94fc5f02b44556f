#include "pickle_value.h"

namespace ckpt {

bool Value::isContainer() const
{
    switch (kind) {
    case ValueKind::List: case ValueKind::Tuple: case ValueKind::Dict: case ValueKind::Set:
    case ValueKind::FrozenSet: case ValueKind::Object:
        return true;
    default:
        return false;
    }
}

std::string_view Value::module() const
{
    const auto nl = text.find('\n');
    return nl == std::string::npos ? std::string_view(text) : std::string_view(text).substr(0, nl);
}

std::string_view Value::name() const
{
    const auto nl = text.find('\n');
    return nl == std::string::npos ? std::string_view() : std::string_view(text).substr(nl + 1);
}

std::string Value::qualifiedName() const
{
    const Value *g = kind == ValueKind::Global ? this : callable;
    if (!g || g->kind != ValueKind::Global) return {};
    std::string out(g->module());
    out += '.';
    out += g->name();
    return out;
}

Value *ValueArena::make(ValueKind kind)
{
    if (m_count == m_blocks.size() * kBlock) m_blocks.push_back(std::make_unique<Value[]>(kBlock));
    Value *v = &m_blocks.back()[m_count % kBlock];
    ++m_count;
    v->kind = kind;
    return v;
}

} // namespace ckpt
