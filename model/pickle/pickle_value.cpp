#include "model/pickle/pickle_value.h"

#include <algorithm>
#include <new>
#include <stdexcept>
#include <unordered_map>

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
    ++m_made[size_t(kind)];
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

namespace {

class ValueCopier
{
public:
    ValueCopier(ValueArena &into, int32_t tensors, int32_t storages) : m_into(into), m_shift(tensors), m_storageShift(storages) {}

    Value *copy(const Value *v)
    {
        if (!v) return nullptr;
        if (const auto it = m_done.find(v); it != m_done.end()) return it->second;
        if (++m_depth > kMaxDepth) throw std::runtime_error("a value nested deeper than 5000 levels");
        Value *c = m_into.make(v->kind);
        m_done.emplace(v, c);
        c->how = v->how;
        c->depth = v->depth;
        c->index = v->index;
        if (v->kind == ValueKind::Tensor && v->index >= 0) c->index += m_shift;
        if (v->kind == ValueKind::PersistentRef && v->index >= 0) c->index += m_storageShift;
        if (v->kind == ValueKind::Float) c->real = v->real;
        else c->integer = v->integer;
        if (!v->text.empty()) c->text = m_into.keep(std::string(v->text));
        c->items.reserve(v->items.size());
        for (const Value *item : v->items) c->items.push_back(copy(item));
        c->callable = copy(v->callable);
        c->args = copy(v->args);
        c->state = copy(v->state);
        c->dictItems = copy(v->dictItems);
        --m_depth;
        return c;
    }

private:
    static constexpr int kMaxDepth = 5000;
    ValueArena &m_into;
    int32_t m_shift;
    int32_t m_storageShift;
    int m_depth = 0;
    std::unordered_map<const Value *, Value *> m_done;
};

} // namespace

Value *copyValue(ValueArena &into, const Value *v, int32_t tensorShift, int32_t storageShift)
{
    return ValueCopier(into, tensorShift, storageShift).copy(v);
}

} // namespace ckpt
