#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace ckpt {

/// name -> index for up to millions of names inserted once: an open-addressing table of
/// hashes and indices, so that a new name costs one probe of a flat array (a node-based
/// std::unordered_map costs two cache misses per name: 60% of opening a 100k-tensor
/// safetensors header went there). `nameOf(index)` gives back the name stored under an index,
/// for comparing on a hash match. Names must outlive the index.
class NameIndex final
{
public:
    explicit NameIndex(size_t expected)
    {
        size_t capacity = 16;
        while (capacity < expected * 2) capacity *= 2;
        m_slots.assign(capacity, Slot{});
        m_mask = capacity - 1;
    }

    /// The index stored for `name`, or `index` after storing it when the name is new.
    template <typename NameOf>
    uint32_t findOrInsert(std::string_view name, uint32_t index, const NameOf &nameOf)
    {
        if (m_used * 2 >= m_slots.size()) grow();
        const uint64_t h = std::hash<std::string_view>{}(name) | 1; // 0 marks an empty slot
        for (size_t i = h & m_mask;; i = (i + 1) & m_mask) {
            Slot &s = m_slots[i];
            if (s.hash == 0) {
                s = {h, index};
                ++m_used;
                return index;
            }
            if (s.hash == h && nameOf(s.index) == name) return s.index;
        }
    }

private:
    struct Slot
    {
        uint64_t hash = 0;
        uint32_t index = 0;
    };

    void grow()
    {
        std::vector<Slot> old = std::move(m_slots);
        m_slots.assign(old.size() * 2, Slot{});
        m_mask = m_slots.size() - 1;
        for (const Slot &s : old) {
            if (s.hash == 0) continue;
            size_t i = s.hash & m_mask;
            while (m_slots[i].hash != 0) i = (i + 1) & m_mask;
            m_slots[i] = s;
        }
    }

    std::vector<Slot> m_slots;
    size_t m_mask = 0;
    size_t m_used = 0;
};

} // namespace ckpt
