#pragma once

#include "model/formats/format_reader.h"

namespace ckpt {

/// A model split into shards by an index.json ({"weight_map": {tensor: shard file}}), read as
/// one model; its shards are opened through the registry, relative to the index's folder. A
/// folder holding such an index stands for it.
class ShardedIndexReader final : public FormatReader
{
public:
    std::string_view name() const override { return "sharded-index"; }
    Recognition recogniseFile(const FileProbe &probe) const override;
    Recognition recogniseFolder(const FolderProbe &probe) const override;
    CheckpointData readFile(SourceFile file, const FormatRegistry &registry) const override;
};

} // namespace ckpt
