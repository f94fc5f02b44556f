#pragma once

#include <charconv>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ckpt {

/// string key -> int. PyTorch names storages "0", "1", ... in order, so decimal keys go to a
/// dense vector (no hashing, no cache misses on 100k keys); anything else to a hash map.
/// Views must outlive the index.
class KeyIndex final
{
public:
    /// The value for `key`, inserting `value` first when the key is new.
    int findOrInsert(std::string_view key, int value)
    {
        if (const auto n = decimal(key); n >= 0 && size_t(n) < kDenseLimit) {
            if (size_t(n) >= m_dense.size()) m_dense.resize(size_t(n) + 1, -1);
            int &slot = m_dense[size_t(n)];
            if (slot < 0) slot = value;
            return slot;
        }
        return m_sparse.try_emplace(key, value).first->second;
    }

    /// -1 when absent.
    int find(std::string_view key) const
    {
        if (const auto n = decimal(key); n >= 0 && size_t(n) < kDenseLimit)
            return size_t(n) < m_dense.size() ? m_dense[size_t(n)] : -1;
        const auto it = m_sparse.find(key);
        return it == m_sparse.end() ? -1 : it->second;
    }

private:
    static constexpr size_t kDenseLimit = 1u << 24;

    /// The value of a plain decimal key without leading zeros ("0", "17"), else -1.
    static long long decimal(std::string_view key)
    {
        if (key.empty() || key.size() > 9 || (key.size() > 1 && key[0] == '0')) return -1;
        long long n = 0;
        const auto [p, ec] = std::from_chars(key.data(), key.data() + key.size(), n);
        return ec == std::errc() && p == key.data() + key.size() ? n : -1;
    }

    std::vector<int> m_dense;
    std::unordered_map<std::string_view, int> m_sparse;
};

} // namespace ckpt
