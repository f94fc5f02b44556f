#pragma once

#include "model/sources/byte_source.h"

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace ckpt {

/// One record of a zip archive, as its central directory and local header describe it.
struct ZipEntry
{
    std::string_view name;        ///< points into the source
    uint16_t method = 0;          ///< 0 stored, 8 deflated
    uint64_t compressedSize = 0;
    uint64_t size = 0;
    uint64_t localHeaderOffset = 0;
    uint64_t dataOffset = 0;      ///< absolute offset of the record's (compressed) bytes
};

/// The central directory of a zip (zip64 included), every offset checked against the
/// source's size. PyTorchStreamReader does not expose sizes or compression; this does,
/// without touching any record's data. Names point into the source, which must outlive it.
class ZipDirectory final
{
public:
    /// Throws FormatError when the bytes are not a readable zip.
    static ZipDirectory parse(const ByteSource &source);

    const std::vector<ZipEntry> &entries() const { return m_entries; }
    /// Linear: for the handful of named records (data.pkl, version); index storages yourself.
    const ZipEntry *find(std::string_view name) const;

private:
    std::vector<ZipEntry> m_entries;
};

/// A deflated record's bytes (throws FormatError when they do not inflate to its size).
std::vector<uint8_t> inflateRecord(const ByteSource &source, const ZipEntry &e);

} // namespace ckpt
