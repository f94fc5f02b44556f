#pragma once

#include "model/base/large_pages.h"

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <memory_resource>
#include <string>
#include <string_view>
#include <vector>

namespace ckpt {

/// What a node of the object tree is. The tree mirrors the pickle exactly; nothing in it was
/// ever imported or called.
enum class ValueKind : uint8_t {
    None,
    Bool,
    Int,
    BigInt,   ///< integer beyond int64: text holds it (see Value::bigIntIsDecimal)
    Float,
    String,
    Bytes,
    List,
    Tuple,
    Dict,     ///< plain dict or OrderedDict (callable set); items are key/value pairs
    Set,
    FrozenSet,
    Global,   ///< a name (module and qualified name); never resolved
    Object,   ///< opaque instance: callable + args (+ state, listitems, dictitems)
    Tensor,   ///< a tensor rebuild; index names the tensor in the checkpoint's table
    PersistentRef, ///< a persistent id (args); index names the storage when it was one
};

/// How an Object (or a Dict/Tensor that was built from a call) came to be.
enum class BuildKind : uint8_t { None, Reduce, NewObj, NewObjEx, Inst };

/// One node. Containers reference children by raw pointer; the arena owns every node, so
/// shared references (the pickle memo) and even cycles cost nothing to keep.
struct Value
{
    explicit Value(std::pmr::memory_resource *pool = std::pmr::get_default_resource())
        : items(pool)
    {
    }

    ValueKind kind = ValueKind::None;
    BuildKind how = BuildKind::None;
    uint16_t depth = 0;   ///< nesting below this node, as built
    /// Tensor: tensor index; PersistentRef: storage index or -1; BigInt: 1 when text holds
    /// decimal digits (text opcodes), 0 when the little-endian bytes of LONG1/LONG4.
    int32_t index = -1;
    union {
        int64_t integer = 0; ///< Int, Bool
        double real;         ///< Float
    };
    std::string_view text;       ///< String, Bytes, BigInt; Global: module '\n' name. Points
                                 ///< into the pickle's bytes or into the arena's own strings.
    std::pmr::vector<Value *> items; ///< List/Tuple/Set items; Dict as k0,v0,k1,v1; Object listitems
    Value *callable = nullptr;   ///< Global (or other value) called to make this node
    Value *args = nullptr;       ///< the argument tuple of that call
    Value *state = nullptr;      ///< BUILD state, when there was one
    Value *dictItems = nullptr;  ///< Object only: SETITEM(S) on an opaque object (a Dict)

    bool isContainer() const;
    /// Global only.
    std::string_view module() const;
    std::string_view name() const;
    /// "module.name" for a Global (or for an Object/Tensor/Dict's callable), else empty.
    std::string qualifiedName() const;
    bool bigIntIsDecimal() const { return index == 1; }
    /// For a Dict: number of key/value pairs.
    size_t dictSize() const { return items.size() / 2; }
};

/// Owns every Value of one object tree, in creation order (which is also a valid order to
/// resolve them in: a node's children always exist before it is finished). Item arrays come
/// from a monotonic pool: a pickle builds millions of small tuples and never frees one.
class ValueArena final
{
public:
    ValueArena() = default;
    ~ValueArena();
    ValueArena(const ValueArena &) = delete;
    ValueArena &operator=(const ValueArena &) = delete;

    Value *make(ValueKind kind);
    size_t size() const { return m_count; }
    /// How many values were made as `kind` (a later change of kind, such as an Object found
    /// to be a tensor, is not counted): what a pass over them may reserve for.
    size_t made(ValueKind kind) const { return m_made[size_t(kind)]; }
    /// Keeps a copy of `s` as long as the arena lives and returns a view of the copy.
    std::string_view keep(std::string s);

    template <class F>
    void forEach(F &&f)
    {
        forEachFrom(0, f);
    }

    /// The values made from the `first`-th on (size() before a second pickle: its values).
    template <class F>
    void forEachFrom(size_t first, F &&f)
    {
        size_t at = 0; // index of the block's first value
        for (size_t b = 0; b < m_blocks.size(); ++b) {
            const size_t n = b + 1 == m_blocks.size() ? m_usedInLast : m_blocks[b].capacity;
            for (size_t i = first > at ? first - at : 0; i < n; ++i) f(m_blocks[b].values[i]);
            at += n;
        }
    }

    /// Keeps `owner` (the bytes views point into: a mapped file) as long as the arena lives.
    void hold(std::shared_ptr<const void> owner) { m_held.push_back(std::move(owner)); }

private:
    // Blocks grow from a few KiB (a shard's header, a small pickle) to ~2 MiB (a million
    // values), so a small tree does not pay for a huge page.
    static constexpr size_t kFirstBlock = 256;
    static constexpr size_t kLastBlock = (size_t(2) << 20) / sizeof(Value) - 1;
    struct Block
    {
        Value *values;
        size_t capacity;
    };
    void addBlock();

    LargePageResource m_upstream;
    std::pmr::monotonic_buffer_resource m_pool{size_t(1) << 12, &m_upstream};
    std::vector<Block> m_blocks;
    size_t m_usedInLast = 0;
    size_t m_count = 0;
    std::array<size_t, size_t(ValueKind::PersistentRef) + 1> m_made{};
    std::deque<std::string> m_strings; // a deque never moves its elements: views stay valid
    std::vector<std::shared_ptr<const void>> m_held;
};

/// A copy of the tree under `v` made in `into` (strings copied too, shared nodes and cycles
/// kept as they are), with Tensor nodes' indices moved by `tensorShift` and storage
/// references' by `storageShift`: a value read from one file grafted into another
/// checkpoint's tree.
Value *copyValue(ValueArena &into, const Value *v, int32_t tensorShift = 0, int32_t storageShift = 0);

} // namespace ckpt
