#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>

namespace ckpt {

/// Bytes a reader may look at: a contiguous range of a source, valid as long as the source.
using ByteView = std::span<const uint8_t>;

/// Where a checkpoint's bytes come from. Readers ask for the ranges they need (a header, a
/// directory, a pickle, a tensor's storage) and never assume one whole mapping: a local file
/// answers with views into its mapping (zero-copy); a remote object can answer with ranges it
/// fetched and keeps cached. Sources are immutable and may be shared between threads.
class ByteSource
{
public:
    virtual ~ByteSource() = default;

    /// What messages call it: a path or an address.
    virtual const std::string &name() const = 0;
    virtual uint64_t size() const = 0;
    /// The bytes [offset, offset + length), which stay valid while the source lives. Throws
    /// FormatError when the range runs past the end or the bytes cannot be had.
    virtual ByteView view(uint64_t offset, uint64_t length) const = 0;
    /// The bytes [offset, size()).
    ByteView viewFrom(uint64_t offset) const { return view(offset, offset <= size() ? size() - offset : 0); }
    /// Copies [offset, offset + out.size()) into `out`: for a few bytes far apart (a zip's
    /// local headers), where a view would map a page and its neighbours for each. Throws as
    /// view() does.
    virtual void read(uint64_t offset, std::span<uint8_t> out) const;
    /// Lets go of the memory behind [offset, offset + length) after a long scan has read it,
    /// so that the scan's footprint stays bounded; later views read it again.
    virtual void release(uint64_t offset, uint64_t length) const {}
    /// Says that the ranges (offset, length) will be read soon: a remote source fetches them
    /// together, several requests in flight, instead of one round trip per later view. A local
    /// file needs nothing.
    virtual void prefetch(std::span<const std::pair<uint64_t, uint64_t>> ranges) const {}
};

/// Throws FormatError("<what> runs past the end of the file") unless [offset, offset + length)
/// lies within `size` bytes.
void checkRange(uint64_t offset, uint64_t length, uint64_t size, const char *what = "a range");

} // namespace ckpt
