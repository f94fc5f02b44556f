#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace ckpt {

/// Ranges of remote objects kept on disk, so that statistics, diffs and a second open reuse
/// what was fetched. An object is keyed by its address, ETag and size: an object that changed
/// on the server has another key, and its old bytes are never mixed with the new. The folder
/// is `$CKPT_CACHE_DIR`, else `$XDG_CACHE_HOME/checkpoint-studio/ranges` (~/.cache/...); its
/// size is capped at `$CKPT_CACHE_MAX_MB` (2048 by default), least recently used ranges going
/// first. `--no-cache` or `CKPT_NO_CACHE=1` turns it off.
class RangeCache final
{
public:
    static RangeCache &shared();

    void setEnabled(bool enabled) { m_enabled = enabled; }
    bool enabled() const { return m_enabled; }

    /// The key of an object, or "" when it cannot be cached (no ETag: a change could not be told).
    static std::string keyOf(const std::string &url, const std::string &etag, uint64_t size);

    /// [offset, offset + length) of the object, when one cached range holds all of it.
    std::optional<std::vector<uint8_t>> find(const std::string &key, uint64_t offset, uint64_t length);
    /// Keeps bytes fetched from `offset`; failures (a full disk, a read-only home) are ignored.
    void store(const std::string &key, uint64_t offset, std::span<const uint8_t> bytes);

    /// The folder in use.
    std::string folder() const;

private:
    RangeCache();
    void evict();

    bool m_enabled = true;
    uint64_t m_cap = 0;
    std::optional<uint64_t> m_used; ///< bytes in the folder, counted on the first store
    std::mutex m_mutex;
};

} // namespace ckpt
