#include "model/pickle/pickler.h"

#include <cstring>
#include <span>
#include <stdexcept>

namespace ckpt {
namespace {

constexpr size_t kBatch = 1000; // APPENDS/SETITEMS per MARK, as CPython batches them

} // namespace

void Pickler::dump(const Value *root)
{
    op(0x80); // PROTO
    op(2);
    save(root);
    op('.');
}

bool Pickler::fromMemo(const Value *v)
{
    const auto it = m_memo.find(v);
    if (it == m_memo.end()) return false;
    if (it->second < 256) {
        op('h');
        op(uint8_t(it->second));
    } else {
        op('j');
        le<uint32_t>(it->second);
    }
    return true;
}

void Pickler::memoize(const Value *v)
{
    const uint32_t index = uint32_t(m_memo.size());
    m_memo.emplace(v, index);
    if (index < 256) {
        op('q');
        op(uint8_t(index));
    } else {
        op('r');
        le<uint32_t>(index);
    }
}

void Pickler::saveInt(int64_t i)
{
    if (i >= 0 && i < 256) {
        op('K');
        op(uint8_t(i));
    } else if (i >= 0 && i < 65536) {
        op('M');
        le<uint16_t>(uint16_t(i));
    } else if (i >= INT32_MIN && i <= INT32_MAX) {
        op('J');
        le<int32_t>(int32_t(i));
    } else { // LONG1, minimal two's-complement bytes as CPython writes them
        uint8_t bytes[8];
        std::memcpy(bytes, &i, 8);
        size_t n = 8;
        while (n > 1 && ((bytes[n - 1] == 0x00 && !(bytes[n - 2] & 0x80)) ||
                         (bytes[n - 1] == 0xFF && (bytes[n - 2] & 0x80))))
            --n;
        op(0x8a);
        op(uint8_t(n));
        m_out.append(reinterpret_cast<const char *>(bytes), n);
    }
}

void Pickler::saveString(std::string_view s)
{
    op('X');
    le<uint32_t>(uint32_t(s.size()));
    m_out.append(s);
}

void Pickler::saveGlobal(std::string_view module, std::string_view name)
{
    op('c');
    m_out.append(module).push_back('\n');
    m_out.append(name).push_back('\n');
}

// Protocol 2 has no bytes opcode: like torch.save, bytes are _codecs.encode(latin-1 text).
void Pickler::saveBytes(std::string_view bytes)
{
    saveGlobal("_codecs", "encode");
    std::string text;
    for (unsigned char c : bytes) {
        if (c < 0x80) {
            text += char(c);
        } else {
            text += char(0xC0 | (c >> 6));
            text += char(0x80 | (c & 0x3F));
        }
    }
    saveString(text);
    saveString("latin1");
    op(0x86); // TUPLE2
    op('R');
}

void Pickler::saveItems(std::span<Value *const> items, bool pairs)
{
    const size_t step = pairs ? 2 : 1;
    for (size_t begin = 0; begin < items.size(); begin += kBatch * step) {
        const size_t end = std::min(items.size(), begin + kBatch * step);
        op('(');
        for (size_t i = begin; i < end; ++i) save(items[i]);
        op(pairs ? 'u' : 'e');
    }
}

void Pickler::savePersistent(const Value *ref)
{
    const Value *pid = ref->args;
    std::string key;
    if (ref->index >= 0 && m_keys) key = m_keys(ref->index);
    if (key.empty() || !pid || pid->kind != ValueKind::Tuple || pid->items.size() < 5) {
        save(pid);
    } else {
        // ('storage', class, key, location, numel): the zip format's 5-tuple, new key.
        op('(');
        save(pid->items[0]);
        save(pid->items[1]);
        saveString(key);
        save(pid->items[3]);
        save(pid->items[4]);
        op('t');
    }
    op('Q'); // BINPERSID
}

void Pickler::saveCanonical(const Value *v, const CanonicalTensor &c)
{
    const TensorInfo &t = c.tensor;
    const std::string_view typed = storageClassName(c.storageDtype);
    if (t.parameter) saveGlobal("torch._utils", "_rebuild_parameter");
    saveGlobal("torch._utils", typed.empty() ? "_rebuild_tensor_v3" : "_rebuild_tensor_v2");
    op('(');
    { // the storage's persistent id
        op('(');
        saveString("storage");
        if (typed.empty()) saveGlobal("torch.storage", "UntypedStorage");
        else saveGlobal("torch", typed);
        saveString(c.storageKey);
        saveString(c.location);
        saveInt(typed.empty() ? c.storageNumel * dtypeBits(c.storageDtype) / 8 : c.storageNumel);
        op('t');
        op('Q');
    }
    saveInt(t.storageOffset);
    op('(');
    for (int64_t d : t.shape) saveInt(d);
    op('t');
    op('(');
    for (int64_t s : t.strides) saveInt(s);
    op('t');
    op(t.requiresGrad && !t.parameter ? 0x88 : 0x89);
    saveGlobal("collections", "OrderedDict");
    op(')');
    op('R');
    if (typed.empty()) saveGlobal("torch", dtypeName(t.dtype));
    op('t');
    op('R');
    if (t.parameter) {
        op(t.requiresGrad ? 0x88 : 0x89);
        saveGlobal("collections", "OrderedDict");
        op(')');
        op('R');
        op(0x87); // TUPLE3 (tensor, requires_grad, hooks)
        op('R');
    }
    memoize(v);
}

void Pickler::saveTuple(const std::vector<const Value *> &items)
{
    if (items.empty()) {
        op(')');
        return;
    }
    if (items.size() > 3) op('(');
    for (const Value *v : items) save(v);
    if (items.size() > 3) op('t');
    else op(uint8_t(0x85 + items.size() - 1)); // TUPLE1..3
}

void Pickler::saveTupleValue(const Value *v)
{
    if (v->items.empty()) {
        op(')');
        return;
    }
    int &depth = m_building[v];
    if (depth >= 2) throw std::runtime_error("a tuple that contains itself cannot be written");
    ++depth;
    const size_t n = v->items.size();
    if (n > 3) op('(');
    for (const Value *item : v->items) save(item);
    if (--m_building[v] == 0) m_building.erase(v);
    if (m_memo.count(v)) { // the items wrote this tuple already: drop them, take that one
        if (n > 3) op('1'); // POP_MARK
        else
            for (size_t i = 0; i < n; ++i) op('0'); // POP
        fromMemo(v);
        return;
    }
    if (n > 3) op('t');
    else op(uint8_t(0x85 + n - 1)); // TUPLE1..3
    memoize(v);
}

// An object made by a call: callable, arguments, the call; then what was added to it. When
// the arguments reached the object again, the inner write made it whole: its result is
// popped and the memo's copy fetched, as CPython's save_reduce does.
void Pickler::saveCallResult(const Value *v)
{
    int &depth = m_building[v];
    if (depth >= 2) throw std::runtime_error("an object made from itself cannot be written");
    ++depth;
    save(v->callable);
    if (v->how == BuildKind::NewObjEx && v->args && v->args->items.size() == 2) {
        save(v->args->items[0]);
        save(v->args->items[1]);
        op(0x92); // NEWOBJ_EX
    } else {
        save(v->args);
        op(v->how == BuildKind::NewObj ? 0x81 : 'R');
    }
    if (--m_building[v] == 0) m_building.erase(v);
    if (m_memo.count(v)) {
        op('0'); // POP
        fromMemo(v);
        return;
    }
    memoize(v);
    if (v->kind == ValueKind::Dict) saveItems(v->items, true);
    else if (!v->items.empty()) saveItems(v->items, false);
    if (v->dictItems) saveItems(v->dictItems->items, true);
    if (v->state) {
        save(v->state);
        op('b');
    }
}

void Pickler::save(const Value *v)
{
    if (m_replace)
        if (const auto it = m_replace->find(v); it != m_replace->end()) v = it->second;
    if (fromMemo(v)) return;
    switch (v->kind) {
    case ValueKind::None: op('N'); return;
    case ValueKind::Bool: op(v->integer ? 0x88 : 0x89); return;
    case ValueKind::Int: saveInt(v->integer); return;
    case ValueKind::BigInt:
        if (v->bigIntIsDecimal()) {
            m_out.push_back('L');
            m_out.append(v->text).append("L\n");
        } else if (v->text.size() < 256) {
            op(0x8a);
            op(uint8_t(v->text.size()));
            m_out.append(v->text);
        } else {
            op(0x8b);
            le<int32_t>(int32_t(v->text.size()));
            m_out.append(v->text);
        }
        return;
    case ValueKind::Float: {
        op('G');
        uint64_t bits;
        std::memcpy(&bits, &v->real, 8);
        for (int i = 7; i >= 0; --i) m_out.push_back(char((bits >> (8 * i)) & 0xFF)); // big-endian
        return;
    }
    case ValueKind::String: saveString(v->text); return;
    case ValueKind::Bytes:
        saveBytes(v->text);
        memoize(v);
        return;
    case ValueKind::Global: saveGlobal(v->module(), v->name()); return;
    case ValueKind::List:
        op(']');
        memoize(v);
        saveItems(v->items, false);
        if (v->state) {
            save(v->state);
            op('b');
        }
        return;
    case ValueKind::Dict:
        if (v->callable) { // OrderedDict() and the like
            saveCallResult(v);
            return;
        }
        op('}');
        memoize(v);
        saveItems(v->items, true);
        return;
    case ValueKind::Tuple:
        saveTupleValue(v);
        return;
    case ValueKind::Set:
    case ValueKind::FrozenSet:
        saveGlobal("builtins", v->kind == ValueKind::Set ? "set" : "frozenset");
        op(']');
        saveItems(v->items, false);
        op(0x85);
        op('R');
        memoize(v);
        return;
    case ValueKind::PersistentRef:
        savePersistent(v);
        return;
    case ValueKind::Tensor:
        if (m_canonical)
            if (auto c = m_canonical(v)) {
                saveCanonical(v, *c);
                return;
            }
        [[fallthrough]];
    case ValueKind::Object: // a tensor is the rebuild call that made it; its storage gets a new key
        if (!v->callable || !v->args) throw std::runtime_error("an object without its constructor cannot be written");
        saveCallResult(v);
        return;
    }
}

} // namespace ckpt
