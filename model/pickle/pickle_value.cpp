#include "model/pickle/pickle_value.h"

#include <algorithm>
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

void ValueArena::addBlock()
{
    const size_t capacity = m_blocks.empty() ? kFirstBlock : std::min(2 * m_blocks.back().capacity, kLastBlock);
    const size_t bytes = capacity * sizeof(Value);
    void *p = capacity == kLastBlock ? allocateLarge(bytes) : ::operator new(bytes, std::align_val_t(alignof(Value)));
    m_blocks.push_back({static_cast<Value *>(p), capacity});
    m_usedInLast = 0;
}

Value *ValueArena::make(ValueKind kind)
{
    if (m_blocks.empty() || m_usedInLast == m_blocks.back().capacity) addBlock();
    Value *v = new (m_blocks.back().values + m_usedInLast) Value(&m_pool);
    ++m_usedInLast;
    ++m_count;
    v->kind = kind;
    return v;
}

ValueArena::~ValueArena()
{
    forEach([](Value &v) { v.~Value(); }); // item arrays go back to the pool: no frees
    for (const Block &b : m_blocks) {
        if (b.capacity == kLastBlock) freeLarge(b.values, b.capacity * sizeof(Value));
        else ::operator delete(b.values, std::align_val_t(alignof(Value)));
    }
}

} // namespace ckpt
