#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ckpt {

/// One key of an OCDBT database's latest version and where its value is: inline (the bytes,
/// copied out of the B+tree leaf that held them) or in a data file (a path relative to the
/// database's root, and a byte range of it).
struct OcdbtEntry
{
    std::string key;
    bool inlined = false;
    std::vector<uint8_t> bytes; ///< the value when inlined
    std::string file;           ///< the data file (for an inline value: the one of its leaf node)
    uint64_t offset = 0;        ///< of the value (for an inline value: of its leaf node)
    uint64_t length = 0;
};

/// TensorStore's Optionally-Cooperative Distributed B+Tree, read without TensorStore (the
/// format as tensorstore/kvstore/ocdbt/index.rst documents it): the manifest (single, or a
/// config-only manifest.ocdbt beside numbered manifest.<16 hex> files), its latest version's
/// B+tree root, the B+tree walked down to its leaves. Every node's magic, length, CRC-32C and
/// height are checked; nodes are decoded within bounds (size, count, decoded bytes), so a
/// lying or cyclic tree ends in a FormatError naming the problem.
namespace ocdbt {

/// The keys of the database whose manifest.ocdbt is in `root`, in key order.
std::vector<OcdbtEntry> listLatest(const std::string &root);

/// Whether a file's first bytes are an OCDBT manifest's magic (0x0cdb3a2a, big-endian).
bool isManifest(const uint8_t *head, size_t size);

} // namespace ocdbt
} // namespace ckpt
