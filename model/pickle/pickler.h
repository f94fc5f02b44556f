#pragma once

#include "model/pickle/pickle_value.h"
#include "model/base/tensor_table.h"

#include <optional>
#include <span>

#include <functional>
#include <string>
#include <unordered_map>

namespace ckpt {

/// Writes an object tree back as a pickle the way torch.save does (protocol 2, protocol 4
/// opcodes only where the tree needs them), so untouched content is kept as it was: opaque
/// objects are re-created by the same calls with the same arguments and state, and nodes the
/// tree shares (tied tensors, shared dicts, the pickle memo) stay shared through the memo.
class Pickler final
{
public:
    /// What to write for a persistent id that names a storage: the new key, or empty to keep.
    using StorageKeyFn = std::function<std::string(int storageIndex)>;

    explicit Pickler(std::string &out) : m_out(out) {}

    /// Nodes to write in place of others (an edited weights dict in place of the original).
    void setReplacements(const std::unordered_map<const Value *, const Value *> *replace) { m_replace = replace; }
    void setStorageKeys(StorageKeyFn keys) { m_keys = std::move(keys); }

    /// A tensor written as torch.save writes a fresh one, not by repeating its original call:
    /// for tensors that have none (read from safetensors) or whose data changes (a cast).
    struct CanonicalTensor
    {
        std::string storageKey;
        DType storageDtype = DType::Float32;
        int64_t storageNumel = 0;
        std::string location = "cpu";
        TensorInfo tensor;
    };
    using CanonicalFn = std::function<std::optional<CanonicalTensor>(const Value *tensor)>;
    void setCanonicalTensors(CanonicalFn fn) { m_canonical = std::move(fn); }

    /// PROTO 2, the value, STOP. Throws std::runtime_error for what a pickle cannot hold
    /// (a tuple that contains itself).
    void dump(const Value *root);

private:
    void save(const Value *v);
    void saveInt(int64_t i);
    void saveString(std::string_view s);
    void saveBytes(std::string_view bytes);
    void saveGlobal(std::string_view module, std::string_view name);
    void saveTuple(const std::vector<const Value *> &items);
    /// A tuple, as CPython's pickle writes one that its own items reach again (through an
    /// object or container memoized before its contents): when writing the items memoized
    /// the tuple, they are popped and the memo's copy fetched.
    void saveTupleValue(const Value *v);
    void saveItems(std::span<Value *const> items, bool pairs);
    void saveCallResult(const Value *v);
    void savePersistent(const Value *ref);
    void saveCanonical(const Value *v, const CanonicalTensor &c);
    void memoize(const Value *v);
    bool fromMemo(const Value *v);
    void op(uint8_t code) { m_out.push_back(char(code)); }
    template <class T>
    void le(T v)
    {
        m_out.append(reinterpret_cast<const char *>(&v), sizeof(T));
    }

    std::string &m_out;
    const std::unordered_map<const Value *, const Value *> *m_replace = nullptr;
    StorageKeyFn m_keys;
    CanonicalFn m_canonical;
    std::unordered_map<const Value *, uint32_t> m_memo;
    /// How deep each tuple or object is being written within itself: once is a cycle pickle
    /// can write (the inner write completes at a memoized object); twice, a graph no pickle
    /// made.
    std::unordered_map<const Value *, int> m_building;
};

} // namespace ckpt
