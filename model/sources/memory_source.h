#pragma once

#include "model/sources/byte_source.h"

#include <string>

namespace ckpt {

/// Bytes already in memory (a buffer the caller keeps alive) seen as a source: for records
/// inflated from an archive and for tests.
class MemorySource final : public ByteSource
{
public:
    MemorySource(std::string name, ByteView bytes) : m_name(std::move(name)), m_bytes(bytes) {}

    const std::string &name() const override { return m_name; }
    uint64_t size() const override { return m_bytes.size(); }
    ByteView view(uint64_t offset, uint64_t length) const override
    {
        checkRange(offset, length, m_bytes.size());
        return m_bytes.subspan(size_t(offset), size_t(length));
    }

private:
    std::string m_name;
    ByteView m_bytes;
};

} // namespace ckpt
