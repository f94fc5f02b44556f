#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ckpt {

/// What a Plan's tensors view: their final names and group lists. A plan of 100k tensors
/// keeps its names in a few large blocks instead of 100k small strings (the preview makes
/// a plan on every keystroke). Immutable once the plan is made; copies of a Plan share it.
struct PlanStorage
{
    std::vector<std::unique_ptr<char[]>> nameBlocks;
    std::vector<std::unique_ptr<const std::vector<std::string>>> groupLists;
};

/// One worker's side of a PlanStorage: it alone appends to it while the plan is made; the
/// views it hands out stay valid when it is moved into the plan's storage.
class PlanStorageWriter final
{
public:
    /// A copy of `name` that lives as long as the storage.
    std::string_view storeName(std::string_view name);
    /// The group list stored for `key` (the group rules that selected a tensor, one bit per
    /// rule), or nullopt before addGroupList stored one: tensors with one key share a list.
    std::optional<std::span<const std::string>> groupList(std::span<const uint64_t> key);
    std::span<const std::string> addGroupList(std::span<const uint64_t> key, std::vector<std::string> groups);
    /// Hands over what was written.
    void moveInto(PlanStorage &storage);

private:
    static constexpr size_t kBlockSize = 256 * 1024;
    std::vector<std::unique_ptr<char[]>> m_blocks;
    char *m_next = nullptr;
    size_t m_left = 0;
    std::vector<std::unique_ptr<const std::vector<std::string>>> m_groupLists;
    std::unordered_map<std::string, std::span<const std::string>> m_groupsByKey;
    std::string m_lastKey;
    bool m_hasLast = false;
    std::span<const std::string> m_lastGroups;
    std::string m_key; // reused for lookups
};

} // namespace ckpt
