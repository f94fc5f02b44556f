#pragma once

#include "model/sources/byte_source.h"

#include <memory>
#include <string>
#include <vector>

namespace ckpt {

/// A window [base, base + length) of another source, seen as a source of its own: a file
/// stored inside a bigger one (a DCP item inside its rank's .distcp file). Offsets are the
/// window's; the parent is kept alive.
class SliceSource final : public ByteSource
{
public:
    SliceSource(std::string name, std::shared_ptr<const ByteSource> parent, uint64_t base, uint64_t length)
        : m_name(std::move(name)), m_parent(std::move(parent)), m_base(base), m_length(length)
    {
        checkRange(base, length, m_parent->size(), "the item");
    }

    const std::string &name() const override { return m_name; }
    uint64_t size() const override { return m_length; }
    ByteView view(uint64_t offset, uint64_t length) const override
    {
        checkRange(offset, length, m_length);
        return m_parent->view(m_base + offset, length);
    }
    void read(uint64_t offset, std::span<uint8_t> out) const override
    {
        checkRange(offset, out.size(), m_length);
        m_parent->read(m_base + offset, out);
    }
    void release(uint64_t offset, uint64_t length) const override { m_parent->release(m_base + offset, length); }
    void prefetch(std::span<const std::pair<uint64_t, uint64_t>> ranges) const override
    {
        std::vector<std::pair<uint64_t, uint64_t>> moved(ranges.begin(), ranges.end());
        for (auto &[offset, length] : moved) offset += m_base;
        m_parent->prefetch(moved);
    }

    /// Where the window starts in its parent.
    uint64_t base() const { return m_base; }

private:
    std::string m_name;
    std::shared_ptr<const ByteSource> m_parent;
    uint64_t m_base = 0, m_length = 0;
};

} // namespace ckpt
