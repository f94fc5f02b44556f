#pragma once

// The unpickler's machine: its stack, memo and the values it builds, and one opcode at a time
// (step, in pickle_machine.cpp). Internal to model/pickle; the API is unpickler.h.

#include "model/base/format_error.h"
#include "model/pickle/pickle_text.h"
#include "model/pickle/unpickler.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>

namespace ckpt::pickling {

// Opcode bytes, named as in CPython's pickle.py.
enum Op : uint8_t {
    MARK = '(', STOP = '.', POP = '0', POP_MARK = '1', DUP = '2', FLOAT = 'F', INT = 'I',
    BININT = 'J', BININT1 = 'K', LONG = 'L', BININT2 = 'M', NONE = 'N', PERSID = 'P',
    BINPERSID = 'Q', REDUCE = 'R', STRING = 'S', BINSTRING = 'T', SHORT_BINSTRING = 'U',
    UNICODE = 'V', BINUNICODE = 'X', APPEND = 'a', BUILD = 'b', GLOBAL = 'c', DICT = 'd',
    EMPTY_DICT = '}', APPENDS = 'e', GET = 'g', BINGET = 'h', INST = 'i', LONG_BINGET = 'j',
    LIST = 'l', EMPTY_LIST = ']', OBJ = 'o', PUT = 'p', BINPUT = 'q', LONG_BINPUT = 'r',
    SETITEM = 's', TUPLE = 't', EMPTY_TUPLE = ')', SETITEMS = 'u', BINFLOAT = 'G',
    PROTO = 0x80, NEWOBJ = 0x81, EXT1 = 0x82, EXT2 = 0x83, EXT4 = 0x84, TUPLE1 = 0x85,
    TUPLE2 = 0x86, TUPLE3 = 0x87, NEWTRUE = 0x88, NEWFALSE = 0x89, LONG1 = 0x8a, LONG4 = 0x8b,
    BINBYTES = 'B', SHORT_BINBYTES = 'C', SHORT_BINUNICODE = 0x8c, BINUNICODE8 = 0x8d,
    BINBYTES8 = 0x8e, EMPTY_SET = 0x8f, ADDITEMS = 0x90, FROZENSET = 0x91, NEWOBJ_EX = 0x92,
    STACK_GLOBAL = 0x93, MEMOIZE = 0x94, FRAME = 0x95, BYTEARRAY8 = 0x96, NEXT_BUFFER = 0x97,
    READONLY_BUFFER = 0x98,
};

/// The machine's stack and memo: an array of value pointers whose push stays inline (in a
/// function as big as step(), std::vector's push_back is called out of line: a tenth of the
/// unpickler's time on a big state dict).
class PointerArray final
{
public:
    explicit PointerArray(size_t capacity) { grow(std::max<size_t>(capacity, 16)); }
    size_t size() const { return m_size; }
    Value **data() { return m_data.get(); }
    Value *operator[](size_t i) const { return m_data[i]; }
    Value *&operator[](size_t i) { return m_data[i]; }
    Value *back() const { return m_data[m_size - 1]; }
    void pop_back() { --m_size; }
    /// Drops the pointers from `n` on (n <= size()).
    void shrink(size_t n) { m_size = n; }
    [[gnu::always_inline]] void push_back(Value *v)
    {
        if (m_size == m_capacity) [[unlikely]] grow(2 * m_capacity);
        m_data[m_size++] = v;
    }
    /// Grows to `n` pointers, the new ones null.
    void growTo(size_t n)
    {
        if (n > m_capacity) grow(std::max(n, 2 * m_capacity));
        std::fill(m_data.get() + m_size, m_data.get() + n, nullptr);
        m_size = n;
    }

private:
    [[gnu::noinline]] void grow(size_t capacity)
    {
        std::unique_ptr<Value *[]> bigger(new Value *[capacity]);
        if (m_size) std::memcpy(bigger.get(), m_data.get(), m_size * sizeof(Value *));
        m_data = std::move(bigger);
        m_capacity = capacity;
    }

    std::unique_ptr<Value *[]> m_data;
    size_t m_size = 0;
    size_t m_capacity = 0;
};

class PickleMachine final
{
public:
    // Each memo key takes a PUT (one to five bytes) after the opcode that made its value: the
    // memo has room for a key per three bytes (up to four million; room not written stays
    // virtual), so that a big state dict's memo is not copied again and again as it grows.
    PickleMachine(ValueArena &arena, const uint8_t *data, uint64_t size, uint64_t start,
            UnpickleObserver *observer, const UnpickleLimits &limits, bool borrow)
        : m_arena(arena), m_data(data), m_size(size), m_pos(start), m_observer(observer),
          m_limits(limits), m_stack(256), m_borrow(borrow), m_start(start),
          m_memoDense(size_t(std::min<uint64_t>((size - std::min(size, start)) / 3, uint64_t(1) << 22)))
    {
    }

    /// Runs the program to its STOP (pickle_machine.cpp).
    UnpickleOutput run();

private:
    /// CPython's C unpickler reads past a frame's end where pickle.py refuses, and a scanner
    /// that honours frames sees other opcodes than one that does not: a value must end inside
    /// the frame it starts in (CPython's pickler never writes otherwise).
    [[gnu::always_inline]] void checkFrame(uint8_t op)
    {
        if (m_pos > m_frameEnd && m_opPos < m_frameEnd && op != FRAME) [[unlikely]]
            anomaly("an opcode straddles the end of its FRAME (byte " + std::to_string(m_frameEnd) + ")");
    }

    void anomaly(const std::string &what)
    {
        if (m_observer) m_observer->anomaly(what, m_opPos);
    }

    [[noreturn]] void fail(const std::string &what) const
    {
        throw FormatError("pickle: " + what + " at byte " + std::to_string(m_opPos));
    }

    // The failures of the per-opcode paths stay out of line, so that those paths inline.
    [[noreturn, gnu::cold, gnu::noinline]] void fail(const char *what) const { fail(std::string(what)); }
    [[noreturn, gnu::cold, gnu::noinline]] void overLimit(const char *before, size_t limit, const char *after) const
    {
        fail(before + std::to_string(limit) + after);
    }

    [[gnu::always_inline]] void need(uint64_t n) const
    {
        if (n > m_size - m_pos) fail("truncated data");
    }

    [[gnu::always_inline]] uint8_t u8()
    {
        need(1);
        return m_data[m_pos++];
    }

    template <class T>
    T le()
    {
        need(sizeof(T));
        T v{};
        std::memcpy(&v, m_data + m_pos, sizeof(T)); // little-endian host (x86_64, aarch64)
        m_pos += sizeof(T);
        return v;
    }

    std::string_view bytes(uint64_t n)
    {
        need(n);
        std::string_view s(reinterpret_cast<const char *>(m_data + m_pos), n);
        m_pos += n;
        return s;
    }

    std::string_view line()
    {
        const void *nl = std::memchr(m_data + m_pos, '\n', m_size - m_pos);
        if (!nl) fail("truncated data (no end of line)");
        const auto n = static_cast<const uint8_t *>(nl) - (m_data + m_pos);
        auto s = bytes(n);
        ++m_pos;
        return s;
    }

    [[gnu::always_inline]] Value *make(ValueKind kind)
    {
        if (m_arena.size() >= m_limits.maxValues)
            overLimit("more than ", m_limits.maxValues, " objects");
        return m_arena.make(kind);
    }

    [[gnu::always_inline]] void deepen(Value *parent, const Value *child)
    {
        if (!child) return;
        const uint32_t d = uint32_t(child->depth) + 1;
        if (d > m_limits.maxDepth)
            overLimit("nesting deeper than ", m_limits.maxDepth, " levels");
        parent->depth = std::max<uint16_t>(parent->depth, uint16_t(d));
    }

    size_t markBase() const { return m_marks.empty() ? 0 : m_marks.back(); }

    [[gnu::always_inline]] void push(Value *v)
    {
        if (m_stack.size() >= m_limits.maxStack)
            overLimit("more than ", m_limits.maxStack, " values on the stack");
        m_stack.push_back(v);
    }

    [[gnu::always_inline]] Value *pop()
    {
        if (m_stack.size() <= markBase()) fail("stack underflow");
        Value *v = m_stack.back();
        m_stack.pop_back();
        return v;
    }

    [[gnu::always_inline]] Value *top()
    {
        if (m_stack.size() <= markBase()) fail("stack underflow");
        return m_stack.back();
    }

    /// The items above the last MARK, still on the stack; dropMark() removes them.
    std::span<Value *const> markItems()
    {
        if (m_marks.empty()) fail("no MARK on the stack");
        const size_t base = m_marks.back();
        return {m_stack.data() + base, m_stack.size() - base};
    }

    /// APPENDS/SETITEMS/ADDITEMS act on the value just below the last MARK, which must
    /// itself lie above the MARK before it.
    Value *markTarget()
    {
        const size_t base = m_marks.back();
        const size_t floor = m_marks.size() > 1 ? m_marks[m_marks.size() - 2] : 0;
        if (base == 0 || base <= floor) fail("stack underflow");
        return m_stack[base - 1];
    }

    void dropMark()
    {
        m_stack.shrink(m_marks.back());
        m_marks.pop_back();
    }

    void popMark()
    {
        markItems();
        dropMark();
    }

    Value *container(ValueKind kind, std::span<Value *const> items)
    {
        Value *v = make(kind);
        for (const Value *c : items) deepen(v, c);
        v->items.assign(items.begin(), items.end());
        return v;
    }

    Value *integer(int64_t i)
    {
        if (i >= 0 && i < int64_t(m_smallInts.size()) && m_smallInts[size_t(i)])
            return m_smallInts[size_t(i)];
        Value *v = make(ValueKind::Int);
        v->integer = i;
        if (i >= 0 && i < int64_t(m_smallInts.size())) m_smallInts[size_t(i)] = v;
        return v;
    }

    Value *boolean(bool b)
    {
        Value *&v = m_bools[b];
        if (!v) {
            v = make(ValueKind::Bool);
            v->integer = b;
        }
        return v;
    }

    /// `s` views the pickle's bytes: borrowed when they outlive the arena, else copied.
    Value *string(ValueKind kind, std::string_view s)
    {
        Value *v = make(kind);
        v->text = m_borrow ? s : m_arena.keep(std::string(s));
        return v;
    }

    /// A string the unpickler made itself (decoded escapes): always owned by the arena.
    Value *ownedString(ValueKind kind, std::string s)
    {
        Value *v = make(kind);
        v->text = m_arena.keep(std::move(s));
        return v;
    }

    Value *global(std::string_view module, std::string_view name, bool viaStack)
    {
        Value *g = make(ValueKind::Global);
        std::string text;
        text.reserve(module.size() + name.size() + 1);
        text.append(module).append(1, '\n').append(name);
        g->text = m_arena.keep(std::move(text));
        m_globals.push_back({std::string(module), std::string(name), m_opPos});
        if (m_observer) m_observer->global(g, viaStack);
        return g;
    }

    Value *call(Value *callable, Value *args, BuildKind how)
    {
        const bool orderedDict = how == BuildKind::Reduce && callable->kind == ValueKind::Global &&
                                 callable->text == "collections\nOrderedDict" && args->items.empty();
        Value *v = make(orderedDict ? ValueKind::Dict : ValueKind::Object);
        v->callable = callable;
        v->args = args;
        v->how = how;
        deepen(v, args);
        return v;
    }

    Value *longFromBytes(std::string_view raw)
    {
        if (raw.size() <= 8) {
            uint64_t u = 0;
            for (size_t i = 0; i < raw.size(); ++i) u |= uint64_t(uint8_t(raw[i])) << (8 * i);
            if (!raw.empty() && raw.size() < 8 && (uint8_t(raw.back()) & 0x80))
                u |= ~uint64_t(0) << (8 * raw.size()); // sign-extend
            return integer(static_cast<int64_t>(u));
        }
        Value *v = string(ValueKind::BigInt, raw);
        v->index = 0;
        return v;
    }

    Value *decimal(std::string_view digits)
    {
        if (auto i = parseDecimalInt(digits)) return integer(*i);
        if (!isDecimalInt(digits)) fail("invalid integer literal");
        Value *v = string(ValueKind::BigInt, digits);
        v->index = 1;
        return v;
    }

    // Memo keys are dense in practice (0, 1, 2, ...): a vector, with a map for the odd sparse
    // key. The vector grows only in step with the number of entries, so hostile keys
    // (LONG_BINPUT 4000000000, or ever-doubling ones) cannot inflate it.
    void memoPut(uint64_t key)
    {
        Value *v = top();
        if (key == m_memoDense.size()) [[likely]] { // the next key: how every pickler numbers them
            m_memoDense.push_back(v);
            ++m_memoCount;
        } else if (key < m_memoDense.size() || key < 2 * m_memoCount + 4096) {
            if (key >= m_memoDense.size()) m_memoDense.growTo(key + 1);
            m_memoCount += m_memoDense[key] == nullptr;
            m_memoDense[key] = v;
        } else {
            m_memoCount += m_memoSparse.insert_or_assign(key, v).second;
        }
    }

    void memoGet(uint64_t key)
    {
        Value *v = key < m_memoDense.size() ? m_memoDense[key] : nullptr;
        if (!v) {
            const auto it = m_memoSparse.find(key);
            if (it != m_memoSparse.end()) v = it->second;
        }
        if (!v) fail("memo key " + std::to_string(key) + " is undefined");
        push(v);
    }

    void addListItems(Value *target, std::span<Value *const> items)
    {
        if (m_observer) m_observer->append(target);
        if (target->kind != ValueKind::List && target->kind != ValueKind::Object)
            fail("APPEND to a value that is not a list");
        for (Value *item : items) {
            deepen(target, item);
            target->items.push_back(item);
        }
    }

    void addDictItems(Value *target, std::span<Value *const> kv)
    {
        if (m_observer) m_observer->setItem(target);
        if (kv.size() % 2) fail("SETITEMS with an odd number of items");
        Value *dict = target;
        if (target->kind == ValueKind::Object) {
            if (!target->dictItems) target->dictItems = make(ValueKind::Dict);
            dict = target->dictItems;
        } else if (target->kind != ValueKind::Dict) {
            fail("SETITEM on a value that is not a dict");
        }
        for (Value *item : kv) {
            deepen(dict, item);
            deepen(target, item);
            dict->items.push_back(item);
        }
    }

    /// Runs one opcode (pickle_machine.cpp: the opcode table), inlined into run()'s loop.
    [[gnu::always_inline]] inline void step(uint8_t op);

    ValueArena &m_arena;
    const uint8_t *m_data;
    uint64_t m_size;
    uint64_t m_pos;
    uint64_t m_opPos = 0;
    UnpickleObserver *m_observer;
    UnpickleLimits m_limits;
    PointerArray m_stack;
    std::vector<size_t> m_marks;
    bool m_borrow;
    uint64_t m_start = 0;    ///< where the program begins
    uint64_t m_frameEnd = 0; ///< end of the last FRAME's bytes
    std::optional<uint64_t> m_shortFrame; ///< a FRAME that claims more bytes than are left
    std::array<bool, 256> m_used{};
    // Immutable scalars are shared: most of a state dict's nodes are 0, 1, False and ().
    Value *m_none = nullptr;
    Value *m_bools[2] = {nullptr, nullptr};
    Value *m_emptyTuple = nullptr;
    std::array<Value *, 1024> m_smallInts{};
    PointerArray m_memoDense;
    std::unordered_map<uint64_t, Value *> m_memoSparse;
    uint64_t m_memoCount = 0;
    std::vector<GlobalRef> m_globals;
};


} // namespace ckpt::pickling
