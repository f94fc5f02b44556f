#pragma once

#include "model/base/tensor_table.h"
#include "model/pickle/pickle_value.h"
#include "model/pickle/safety_report.h"
#include "model/sources/byte_source.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ckpt {

/// A file the checkpoint was read from, kept open for later views of tensor bytes.
struct SourceFile
{
    std::string path;
    uint64_t size = 0;
    std::shared_ptr<const ByteSource> source;
};

/// A dict that looks like the model's weights, ranked best first.
struct WeightsCandidate
{
    Path path;
    size_t tensors = 0;
    int64_t parameters = 0;
    uint64_t bytes = 0;
};

/// Everything a reader produces. Filled by the format readers.
struct CheckpointData
{
    /// What the file is, as `ckpt inspect` names it: "pytorch-zip", "torchscript",
    /// "pytorch-legacy", "pickle", "safetensors", "sharded-safetensors", "sharded-pytorch".
    std::string format;
    std::string reader;      ///< the reader that took it (FormatReader::name())
    std::string recognition; ///< why that reader took it ("starts with PK\\3\\4")
    std::vector<SourceFile> files;
    std::unique_ptr<ValueArena> arena = std::make_unique<ValueArena>();
    Value *root = nullptr;
    std::vector<StorageInfo> storages;
    std::vector<TensorInfo> tensors;
    std::vector<TensorEntry> entries;
    /// The chunks of tensors cut across files (TensorInfo::chunks), each list ordered by offset.
    std::vector<std::vector<TensorChunk>> chunkLists;
    SafetyReport safety;
    std::vector<WeightsCandidate> candidates;
    /// Where the reader knows the weights are (a DeepSpeed checkpoint's assembled fp32
    /// master weights): that dict ranks first among the candidates.
    std::optional<Path> preferredWeights;
    /// The weights are a pytree (JAX, Flax, Orbax): every tensor at any depth under the
    /// preferred weights dict is a weight, named by its path below it joined with '.'
    /// ("encoder.layer_0.kernel"), as a PyTorch state_dict names nested modules.
    bool pytreeWeights = false;
    std::map<std::string, std::string> metadata; ///< safetensors __metadata__, index metadata
    std::vector<std::string> warnings;
    int archiveVersion = 0;                      ///< zip "version" record, legacy protocol
    bool bigEndian = false;                      ///< tensor bytes stored big-endian (byteorder record)
    std::vector<std::vector<uint8_t>> buffers;   ///< inflated records the tree points into
    std::vector<CompressedItem> compressedItems; ///< StorageInfo::compressedItem
};

} // namespace ckpt
