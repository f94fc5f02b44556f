#include "model/remote/range_cache.h"

#include "model/remote/url_text.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ckpt {
namespace {

namespace fs = std::filesystem;

uint64_t fnv1a(std::string_view text, uint64_t seed)
{
    uint64_t h = seed;
    for (const unsigned char c : text) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

std::string hex(uint64_t v)
{
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

/// An object's folder: 128 bits of two FNV-1a hashes of its key.
fs::path objectFolder(const std::string &root, const std::string &key)
{
    return fs::path(root) / (hex(fnv1a(key, 14695981039346656037ull)) + hex(fnv1a(key, 0x9e3779b97f4a7c15ull)));
}

/// A range file's name: OFFSET-LENGTH.
bool parseRangeName(const std::string &name, uint64_t &offset, uint64_t &length)
{
    char *end = nullptr;
    offset = std::strtoull(name.c_str(), &end, 10);
    if (!end || *end != '-') return false;
    length = std::strtoull(end + 1, &end, 10);
    return end && *end == '\0' && length > 0;
}

} // namespace

RangeCache &RangeCache::shared()
{
    static RangeCache cache;
    return cache;
}

RangeCache::RangeCache()
{
    m_enabled = !environment("CKPT_NO_CACHE") || std::string_view(environment("CKPT_NO_CACHE")) == "0";
    const char *cap = environment("CKPT_CACHE_MAX_MB");
    m_cap = (cap ? std::strtoull(cap, nullptr, 10) : 2048) << 20;
}

std::string RangeCache::folder() const
{
    if (const char *dir = environment("CKPT_CACHE_DIR")) return dir;
    if (const char *xdg = environment("XDG_CACHE_HOME")) return std::string(xdg) + "/checkpoint-studio/ranges";
    if (const char *home = environment("HOME")) return std::string(home) + "/.cache/checkpoint-studio/ranges";
    return {};
}

std::string RangeCache::keyOf(const std::string &url, const std::string &etag, uint64_t size)
{
    if (etag.empty()) return {};
    return url + "\n" + etag + "\n" + std::to_string(size);
}

std::optional<std::vector<uint8_t>> RangeCache::find(const std::string &key, uint64_t offset, uint64_t length)
{
    if (!m_enabled || key.empty() || folder().empty()) return std::nullopt;
    const fs::path dir = objectFolder(folder(), key);
    std::error_code ec;
    for (const auto &entry : fs::directory_iterator(dir, ec)) {
        uint64_t start = 0, size = 0;
        if (!parseRangeName(entry.path().filename().string(), start, size)) continue;
        if (start > offset || start + size < offset + length) continue;
        const int fd = ::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        struct stat st {};
        std::vector<uint8_t> bytes(static_cast<size_t>(length));
        const bool whole = ::fstat(fd, &st) == 0 && uint64_t(st.st_size) == size &&
                           ::pread(fd, bytes.data(), bytes.size(), off_t(offset - start)) == ssize_t(length);
        if (whole) ::futimens(fd, nullptr); // recently used: evicted last
        ::close(fd);
        if (whole) return bytes;
    }
    return std::nullopt;
}

void RangeCache::store(const std::string &key, uint64_t offset, std::span<const uint8_t> bytes)
{
    if (!m_enabled || key.empty() || bytes.empty() || folder().empty() || bytes.size() > m_cap / 4) return;
    const fs::path dir = objectFolder(folder(), key);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return;
    const fs::path final = dir / (std::to_string(offset) + "-" + std::to_string(bytes.size()));
    const fs::path part = dir / (final.filename().string() + ".part" + std::to_string(::getpid()));
    {
        std::ofstream out(part, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char *>(bytes.data()), std::streamsize(bytes.size()));
        if (!out) {
            fs::remove(part, ec);
            return;
        }
    }
    fs::rename(part, final, ec);
    if (ec) {
        fs::remove(part, ec);
        return;
    }
    std::lock_guard lock(m_mutex);
    if (!m_used) {
        uint64_t used = 0;
        for (fs::recursive_directory_iterator it(folder(), ec), end; !ec && it != end; it.increment(ec))
            if (it->is_regular_file(ec)) used += it->file_size(ec);
        m_used = used;
    } else {
        *m_used += bytes.size();
    }
    if (*m_used > m_cap) evict();
}

void RangeCache::evict()
{
    struct Held
    {
        fs::path path;
        fs::file_time_type used;
        uint64_t size;
    };
    std::vector<Held> held;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(folder(), ec), end; !ec && it != end; it.increment(ec))
        if (it->is_regular_file(ec)) held.push_back({it->path(), it->last_write_time(ec), it->file_size(ec)});
    std::sort(held.begin(), held.end(), [](const Held &a, const Held &b) { return a.used < b.used; });
    uint64_t used = 0;
    for (const Held &h : held) used += h.size;
    for (const Held &h : held) {
        if (used <= m_cap - m_cap / 10) break;
        if (fs::remove(h.path, ec)) used -= h.size;
        fs::remove(h.path.parent_path(), ec); // only when now empty
    }
    m_used = used;
}

} // namespace ckpt
