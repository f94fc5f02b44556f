#include "model/checkpoint/tensor_values.h"

#include "model/checkpoint/source_reader.h"
#include "model/checkpoint/tensor_stats.h"

namespace ckpt {

Result<TensorValues> tensorValues(const Checkpoint &c, size_t entry)
{
    auto view = tensorView(c, entry, 0);
    if (!view) return view.error();
    TensorValues out;
    out.dtype = view->dtype;
    out.shape = view->shape;
    // Bytes stored big-endian are given in this machine's order: gathered, swapped, contiguous.
    if (c.bigEndian() && !view->held && dtypeBits(view->dtype) > 8) {
        try {
            const TensorInfo &t = c.tensors()[size_t(c.entries()[entry].tensor)];
            view->held = std::make_shared<const std::vector<char>>(tensorBytes(c, SourceReader(c), t));
        } catch (const std::exception &e) {
            return Error{e.what()};
        }
        view->storage = reinterpret_cast<const uint8_t *>(view->held->data());
        view->storageBytes = view->held->size();
        view->offset = 0;
    }
    out.data = view->storage;
    out.size = view->storageBytes;
    out.held = view->held;
    out.strides = view->held ? contiguousStrides(view->shape) : view->strides;
    out.offset = view->offset;
    out.inPlace = !view->held;
    return out;
}

} // namespace ckpt
