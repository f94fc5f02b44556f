#include "model/checkpoint/source_reader.h"

#include "model/base/byte_order.h"
#include "model/base/format_error.h"
#include "model/sources/blosc_chunk.h"
#include "model/sources/deflate_stream.h"
#include "model/sources/ggml_blocks.h"
#include "model/sources/zstd_stream.h"

#include "model/checkpoint/tensor_stats.h"

namespace ckpt {


namespace {

void readCompressed(const Checkpoint &c, const SourceReader &src, const StorageInfo &s, uint64_t offset, uint64_t size,
                    const std::function<void(const char *, size_t)> &sink)
{
    const CompressedItem &item = c.compressedItems()[size_t(s.compressedItem)];
    auto read = [&](uint64_t at, void *out, size_t n) { src.read(item.file, item.offset + at, out, n); };
    try {
        if (item.codec == "deflate") deflate::readRange(read, item.length, s.byteOffset + offset, size, sink);
        else if (item.codec == "zlib") deflate::readRange(read, item.length, s.byteOffset + offset, size, sink, deflate::Framing::Zlib);
        else if (item.codec == "gzip") deflate::readRange(read, item.length, s.byteOffset + offset, size, sink, deflate::Framing::Gzip);
        else if (item.codec == "blosc") blosc::readRange(read, item.length, s.byteOffset + offset, size, sink, s.byteOffset + s.byteLength);
        else if (item.codec.starts_with("ggml.")) {
            // "ggml.Q8_0", or "ggml.Q8_0.be" for a big-endian file's blocks.
            std::string_view name = std::string_view(item.codec).substr(5);
            const bool big = name.ends_with(".be");
            if (big) name.remove_suffix(3);
            const GgmlType *type = ggmlTypeNamed(name);
            if (!type || !type->dequantized) throw FormatError(item.codec + " is not decoded here");
            ggml::readRange(read, item.length, s.byteOffset + offset, size, sink, *type, big);
        }
        else zstd::readRange(read, item.length, s.byteOffset + offset, size, sink);
    } catch (const FormatError &e) {
        throw std::runtime_error("storage " + s.key + ": " + e.what());
    }
}

} // namespace

void readStorage(const Checkpoint &c, const SourceReader &src, const StorageInfo &s, uint64_t offset, void *out, size_t size)
{
    if (s.compressedItem >= 0) {
        char *at = static_cast<char *>(out);
        return readCompressed(c, src, s, offset, size, [&](const char *data, size_t n) {
            std::memcpy(at, data, n);
            at += n;
        });
    }
    if (s.buffer < 0) return src.read(s.file, s.byteOffset + offset, out, size);
    const ByteView bytes = c.storageBytes(s);
    if (offset > bytes.size() || size > bytes.size() - offset) throw std::runtime_error("read past storage " + s.key);
    std::memcpy(out, bytes.data() + offset, size);
}

void readStorageInPieces(const Checkpoint &c, const SourceReader &src, const StorageInfo &s, uint64_t offset,
                         uint64_t size, const std::function<void(const char *, size_t)> &sink)
{
    if (s.compressedItem >= 0) return readCompressed(c, src, s, offset, size, sink); // one pass over the stream
    constexpr uint64_t kPiece = uint64_t(8) << 20;
    std::vector<char> buffer(size_t(std::min(size, kPiece)));
    for (uint64_t done = 0; done < size;) {
        const size_t n = size_t(std::min(kPiece, size - done));
        readStorage(c, src, s, offset + done, buffer.data(), n);
        sink(buffer.data(), n);
        done += n;
    }
}

std::optional<uint64_t> plainByteOffset(const Checkpoint &c, const TensorInfo &t)
{
    if (t.storage < 0 || !t.contiguous() || c.bigEndian() || isPackedQuantized(t.dtype) ||
        !Checkpoint::viewable(c.storages()[size_t(t.storage)]))
        return std::nullopt;
    return uint64_t(t.storageOffset) * uint64_t(dtypeBits(t.dtype) / 8);
}

namespace {

/// A tensor cut into chunks, each read (as tensorBytes reads a tensor) and copied into its
/// place in the whole.
std::vector<char> assembledBytes(const Checkpoint &c, const SourceReader &src, const TensorInfo &t)
{
    if (isPackedQuantized(t.dtype) || dtypeBits(t.dtype) % 8)
        throw std::runtime_error(std::string(dtypeName(t.dtype)) + " chunks cannot be assembled");
    const size_t item = size_t(dtypeBits(t.dtype) / 8);
    const size_t n = t.shape.size();
    std::vector<size_t> stride(n, item); // of the whole, in bytes
    for (size_t d = n; d-- > 1;) stride[d - 1] = stride[d] * size_t(t.shape[d]);
    std::vector<char> out(t.nbytes());
    for (const TensorChunk &chunk : c.chunks(t)) {
        const std::vector<char> part = tensorBytes(c, src, c.tensors()[size_t(chunk.tensor)]);
        if (part.empty()) continue;
        if (chunk.flat) {
            const size_t at = size_t(chunk.offsets.at(0)) * item;
            if (at > out.size() || part.size() > out.size() - at) throw std::runtime_error("a chunk runs past its tensor");
            std::memcpy(out.data() + at, part.data(), part.size());
            continue;
        }
        if (n == 0) {
            std::memcpy(out.data(), part.data(), std::min(part.size(), out.size()));
            continue;
        }
        const size_t row = size_t(chunk.sizes[n - 1]) * item;
        std::vector<int64_t> index(n - 1, 0);
        for (size_t from = 0; from + row <= part.size(); from += row) {
            size_t at = size_t(chunk.offsets[n - 1]) * item;
            for (size_t d = 0; d + 1 < n; ++d) at += size_t(chunk.offsets[d] + index[d]) * stride[d];
            std::memcpy(out.data() + at, part.data() + from, row);
            for (size_t d = n - 1; d-- > 0;) {
                if (++index[d] < chunk.sizes[d]) break;
                index[d] = 0;
            }
        }
    }
    return out;
}

} // namespace

std::vector<char> tensorBytes(const Checkpoint &c, const SourceReader &src, const TensorInfo &t)
{
    if (t.chunks >= 0) return assembledBytes(c, src, t);
    if (t.storage < 0) throw std::runtime_error(whyNoData(t));
    const StorageInfo &s = c.storages()[size_t(t.storage)];
    if (!Checkpoint::readable(s))
        throw std::runtime_error("storage " + s.key + " is compressed beyond what is read inflated");
    if (isPackedQuantized(t.dtype))
        throw std::runtime_error(std::string(dtypeName(t.dtype)) + " values are packed several to a byte; reading them is not supported");
    const uint64_t item = uint64_t(dtypeBits(t.dtype)) / 8;
    std::vector<char> out(t.nbytes());
    if (out.empty()) return out;
    if (t.contiguous()) {
        readStorage(c, src, s, uint64_t(t.storageOffset) * item, out.data(), out.size());
        if (c.bigEndian()) swapByteOrder(out.data(), out.size(), t.dtype);
        return out;
    }
    // Strided: read the span the view touches, then gather element by element.
    uint64_t last = uint64_t(t.storageOffset);
    for (size_t i = 0; i < t.shape.size(); ++i) last += uint64_t(t.shape[i] - 1) * uint64_t(t.strides[i]);
    std::vector<char> span((last - uint64_t(t.storageOffset) + 1) * item);
    readStorage(c, src, s, uint64_t(t.storageOffset) * item, span.data(), span.size());
    std::vector<int64_t> index(t.shape.size(), 0);
    for (uint64_t k = 0, n = uint64_t(t.numel()); k < n; ++k) {
        uint64_t at = 0;
        for (size_t d = 0; d < index.size(); ++d) at += uint64_t(index[d]) * uint64_t(t.strides[d]);
        std::memcpy(out.data() + k * item, span.data() + at * item, item);
        for (size_t d = index.size(); d-- > 0;) {
            if (++index[d] < t.shape[d]) break;
            index[d] = 0;
        }
    }
    if (c.bigEndian()) swapByteOrder(out.data(), out.size(), t.dtype);
    return out;
}

std::vector<char> convertedBytes(const std::vector<char> &bytes, DType from, DType to, int64_t count)
{
    std::vector<char> out(size_t((uint64_t(count) * uint64_t(dtypeBits(to)) + 7) / 8));
    auto done = loadedBackend().convert(bytes.data(), from, out.data(), to, size_t(count));
    if (!done) throw std::runtime_error(done.error().message);
    return out;
}

} // namespace ckpt
