#pragma once

#include "result.h"

#include <cstdint>
#include <memory>
#include <string>

namespace ckpt {

/// A whole file mapped read-only. Opening costs nothing per byte: pages are read only when
/// something touches them, so tensor bytes that nobody asks for are never read.
class MappedFile final
{
public:
    static Result<std::shared_ptr<MappedFile>> open(const std::string &path);
    ~MappedFile();
    MappedFile(const MappedFile &) = delete;
    MappedFile &operator=(const MappedFile &) = delete;

    const uint8_t *data() const { return m_data; }
    uint64_t size() const { return m_size; }
    const std::string &path() const { return m_path; }
    /// Drops the pages of [offset, offset + length) from this process's memory (they stay in
    /// the page cache): long scans over the mapping keep a bounded footprint.
    void release(uint64_t offset, uint64_t length) const;

private:
    MappedFile(std::string path, const uint8_t *data, uint64_t size)
        : m_path(std::move(path)), m_data(data), m_size(size)
    {
    }

    std::string m_path;
    const uint8_t *m_data = nullptr;
    uint64_t m_size = 0;
};

} // namespace ckpt
