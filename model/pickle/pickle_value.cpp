#include "model/pickle/pickle_value.h"

#include <new>

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

std::string_view ValueArena::keep(std::string s)
{
    return m_strings.emplace_back(std::move(s));
}

Value *ValueArena::make(ValueKind kind)
{
    if (m_count == m_blocks.size() * kBlock)
        m_blocks.emplace_back(static_cast<std::byte *>(allocateLarge(kBlock * sizeof(Value))));
    auto *slot = reinterpret_cast<Value *>(m_blocks.back().get()) + m_count % kBlock;
    Value *v = new (slot) Value(&m_pool);
    ++m_count;
    v->kind = kind;
    return v;
}

void ValueArena::BlockDeleter::operator()(std::byte *p) const
{
    freeLarge(p, kBlock * sizeof(Value));
}

ValueArena::~ValueArena()
{
    forEach([](Value &v) { v.~Value(); }); // item arrays go back to the pool: no frees
}

} // namespace ckpt
