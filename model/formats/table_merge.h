#pragma once

#include "model/formats/checkpoint_data.h"

#include <string>
#include <unordered_map>

namespace ckpt {

/// Adds what readers made of other files (a DCP item, a DeepSpeed rank's states) to a
/// checkpoint being assembled from them: storages, tensors, inflated records, the safety
/// report's globals (counted per file label) and warnings, with every index moved.
class TableMerge final
{
public:
    explicit TableMerge(CheckpointData &into) : m_into(into) {}

    /// Where a merged file's first tensor and first storage went: its tree's Tensor values
    /// and storage references index from there.
    struct Shift
    {
        int tensors = 0;
        int storages = 0;
    };
    /// Adds `from`'s tables and returns where they went. `file`: the index in into.files that `from`'s storages lie
    /// in, with `byteBase` added to their offsets; -1 to append `from`'s one file. Throws
    /// FormatError when its byte order differs from what was added before.
    Shift add(CheckpointData &from, int file, uint64_t byteBase, const std::string &label);

    /// `s` kept in the checkpoint's arena, once per distinct text.
    std::string_view intern(std::string_view s);

    /// A contiguous tensor of `dtype` and `shape` whose bytes are `chunks` (of tensors already
    /// in the tables), assembled when read: added to the tables, its index returned.
    int chunkedTensor(DType dtype, const std::vector<int64_t> &shape, std::vector<TensorChunk> chunks);

private:
    CheckpointData &m_into;
    std::unordered_map<std::string, std::string_view> m_strings;
    std::unordered_map<std::string, size_t> m_globals;
    int m_order = -1; ///< 1 big-endian, 0 little, -1 nothing added yet
};

} // namespace ckpt
