#pragma once

#include "model/base/result.h"
#include "model/sources/byte_source.h"

#include <cstdint>
#include <memory>
#include <string>

namespace ckpt {

/// A local file mapped read-only. Opening costs nothing per byte: pages are read only when
/// something touches them, so tensor bytes that nobody asks for are never read. Views are
/// pointers into the mapping.
class MappedFile final : public ByteSource
{
public:
    static Result<std::shared_ptr<MappedFile>> open(const std::string &path);
    /// Files opened from now on are mapped copy-on-write (writable, private, no swap
    /// reserved): for a process that hands views out as arrays that can be written (PyTorch
    /// has no read-only tensors), a write gets a private page, never the file, and never a
    /// fault. The default maps read-only.
    static void setCopyOnWrite(bool on);
    ~MappedFile() override;
    MappedFile(const MappedFile &) = delete;
    MappedFile &operator=(const MappedFile &) = delete;

    const std::string &name() const override { return m_path; }
    uint64_t size() const override { return m_size; }
    ByteView view(uint64_t offset, uint64_t length) const override
    {
        checkRange(offset, length, m_size);
        return {m_data + offset, size_t(length)};
    }
    /// pread(): a few bytes without mapping the pages around them.
    void read(uint64_t offset, std::span<uint8_t> out) const override;
    /// Drops the pages of [offset, offset + length) from this process's memory (they stay in
    /// the page cache).
    void release(uint64_t offset, uint64_t length) const override;

    const std::string &path() const { return m_path; }

private:
    MappedFile(std::string path, const uint8_t *data, uint64_t size, int fd)
        : m_path(std::move(path)), m_data(data), m_size(size), m_fd(fd)
    {
    }

    std::string m_path;
    const uint8_t *m_data = nullptr;
    uint64_t m_size = 0;
    int m_fd = -1; ///< kept open for read(); -1 when the mapping is all there is
};

} // namespace ckpt
