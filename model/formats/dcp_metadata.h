#pragma once

#include "model/base/dtype.h"
#include "model/base/tensor_table.h"
#include "model/pickle/pickle_value.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace ckpt {

/// What a torch.distributed.checkpoint `.metadata` pickle says, read from its object tree
/// (nothing in it is run): the entries in the order the writer listed them, where each
/// item's bytes lie, and how the flat keys nest.
struct DcpMetadata
{
    struct Chunk
    {
        std::vector<int64_t> offsets;
        std::vector<int64_t> sizes;
    };
    struct Entry
    {
        std::string fqn;
        bool tensor = false; ///< TensorStorageMetadata; else BytesStorageMetadata
        DType dtype = DType::Unknown;
        std::string dtypeName; ///< as the pickle names it, for messages
        std::vector<int64_t> size;
        std::vector<Chunk> chunks;
        bool requiresGrad = false;
    };
    /// One item's bytes: [offset, offset + length) of a file in the checkpoint's folder,
    /// to be undone by `transforms` (e.g. "stream.zstd/1") in order.
    struct Storage
    {
        std::string file;
        uint64_t offset = 0;
        uint64_t length = 0;
        std::vector<std::string> transforms;
    };
    /// A MetadataIndex: the key, and the chunk's offsets (none for a bytes item).
    using ItemKey = std::tuple<std::string, bool, std::vector<int64_t>>;

    std::vector<Entry> entries;
    std::map<ItemKey, Storage> storage;
    std::unordered_map<std::string, Path> paths; ///< planner_data: flat key -> nesting
    std::string version;
    std::string saveId;

    const Storage *find(const std::string &fqn, const std::vector<int64_t> *offsets) const;
};

/// Reads the Metadata object `root` a `.metadata` pickle gives. Throws FormatError with a
/// line naming what is missing or malformed.
DcpMetadata readDcpMetadata(const Value *root);

} // namespace ckpt
