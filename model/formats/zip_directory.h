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
    /// The record PyTorch's reader (miniz) finds under `name`: names compare without ASCII
    /// case, by binary search over the directory heap-sorted by name, so that of several
    /// records whose names compare equal it takes the one that search lands on. Null if none.
    const ZipEntry *find(std::string_view name) const;
    /// Indices of records whose names compare equal without case, a group per name, in
    /// directory order: what a reader could take for another record.
    std::vector<std::vector<uint32_t>> sameNames() const;
    /// Whether any two names compare equal without case (else a name's exact match is the
    /// record PyTorch reads).
    bool hasSameNames() const { return m_sameNames; }

private:
    void indexNames();
    void sortLikeMiniz();

    std::vector<ZipEntry> m_entries;
    /// Names without case -> entry, open addressing: a lookup costs a hash when no two names
    /// compare equal, the common case.
    struct Slot
    {
        uint64_t hash = 0;
        uint32_t entry = 0;
    };
    std::vector<Slot> m_slots;
    bool m_sameNames = false;
    std::vector<uint32_t> m_sorted; ///< with m_sameNames: entries in miniz's heap-sorted order
};

/// <0, 0 or >0 as PyTorch's zip reader orders record names: byte by byte without ASCII case,
/// then the shorter first.
int compareNamesWithoutCase(std::string_view a, std::string_view b);

/// The name of the first record when `head` (a file's first bytes) starts with a zip's local
/// header whose name it holds; empty otherwise. For recognising a zip by what it holds first.
std::string_view firstRecordName(ByteView head);

/// A deflated record's bytes (throws FormatError when they do not inflate to its size).
std::vector<uint8_t> inflateRecord(const ByteSource &source, const ZipEntry &e);

/// A record's bytes: a view of the source when stored, else inflated into `buffer`, which the
/// view then points into. Throws FormatError("... compression method N") for other methods.
ByteView recordBytes(const ByteSource &source, const ZipEntry &e, std::vector<uint8_t> &buffer);

} // namespace ckpt
