#include "model/checkpoint/tensor_stats.h"

#include "model/checkpoint/source_reader.h"

namespace ckpt {

Result<StatsRequest> tensorView(const Checkpoint &c, size_t entry, int bins)
{
    if (entry >= c.entries().size()) return Error{"no such tensor"};
    const TensorInfo &t = c.tensors()[size_t(c.entries()[entry].tensor)];
    // Chunks are assembled and a compressed item's bytes decoded: the request holds them.
    if (t.chunks >= 0 || (t.storage >= 0 && c.storages()[size_t(t.storage)].compressedItem >= 0)) {
        StatsRequest request;
        try {
            request.held = std::make_shared<const std::vector<char>>(tensorBytes(c, SourceReader(c), t));
        } catch (const std::exception &e) {
            return Error{e.what()};
        }
        request.storage = reinterpret_cast<const uint8_t *>(request.held->data());
        request.storageBytes = request.held->size();
        request.dtype = t.dtype;
        request.shape = t.shape;
        request.strides = t.strides;
        request.bins = bins;
        return request;
    }
    if (t.storage < 0) return Error{whyNoData(t)};
    const StorageInfo &s = c.storages()[size_t(t.storage)];
    if (!Checkpoint::readable(s)) return Error{"its record is compressed beyond what is read inflated"};
    if (isPackedQuantized(t.dtype)) return Error{"its values are packed several to a byte (" + std::string(dtypeName(t.dtype)) + "); reading them is not supported"};
    StatsRequest request;
    request.storage = c.storageBytes(s).data();
    request.storageBytes = s.byteLength;
    request.dtype = t.dtype;
    request.shape = t.shape;
    request.strides = t.strides;
    request.offset = t.storageOffset;
    request.bins = bins;
    return request;
}

Result<TensorStats> tensorStats(const Checkpoint &c, size_t entry, int bins,
                                const std::atomic<bool> *cancel, const ProgressFn &progress)
{
    auto request = tensorView(c, entry, bins);
    if (!request) return request.error();
    auto backend = computeBackend();
    if (!backend) return backend.error();
    return (*backend)->stats(*request, cancel, progress);
}

} // namespace ckpt
