#include "model/rules/plan_storage.h"

#include <algorithm>
#include <cstring>

namespace ckpt {

std::string_view PlanStorageWriter::storeName(std::string_view name)
{
    if (name.size() > m_left) {
        const size_t size = std::max(kBlockSize, name.size());
        m_blocks.push_back(std::make_unique_for_overwrite<char[]>(size));
        m_next = m_blocks.back().get();
        m_left = size;
    }
    if (!name.empty()) std::memcpy(m_next, name.data(), name.size());
    const std::string_view stored(m_next, name.size());
    m_next += name.size();
    m_left -= name.size();
    return stored;
}

std::optional<std::span<const std::string>> PlanStorageWriter::groupList(std::span<const uint64_t> key)
{
    m_key.assign(reinterpret_cast<const char *>(key.data()), key.size_bytes());
    if (m_hasLast && m_key == m_lastKey) return m_lastGroups;
    const auto it = m_groupsByKey.find(m_key);
    if (it == m_groupsByKey.end()) return std::nullopt;
    m_lastKey = m_key;
    m_lastGroups = it->second;
    m_hasLast = true;
    return it->second;
}

std::span<const std::string> PlanStorageWriter::addGroupList(std::span<const uint64_t> key,
                                                             std::vector<std::string> groups)
{
    m_groupLists.push_back(std::make_unique<const std::vector<std::string>>(std::move(groups)));
    m_lastKey.assign(reinterpret_cast<const char *>(key.data()), key.size_bytes());
    m_lastGroups = *m_groupLists.back();
    m_hasLast = true;
    m_groupsByKey.emplace(m_lastKey, m_lastGroups);
    return m_lastGroups;
}

void PlanStorageWriter::moveInto(PlanStorage &storage)
{
    for (auto &b : m_blocks) storage.nameBlocks.push_back(std::move(b));
    for (auto &g : m_groupLists) storage.groupLists.push_back(std::move(g));
    m_blocks.clear();
    m_groupLists.clear();
    m_groupsByKey.clear();
    m_hasLast = false;
    m_next = nullptr;
    m_left = 0;
}

} // namespace ckpt
