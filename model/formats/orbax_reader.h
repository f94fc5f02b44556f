#pragma once

#include "model/formats/format_reader.h"

namespace ckpt {

/// Orbax checkpoints as orbax-checkpoint writes them (PyTreeCheckpointer, StandardCheckpointer,
/// CheckpointManager's step folders), read without JAX or TensorStore: the pytree from
/// `_METADATA` (or, in the older layout without it, from the arrays' names), each array's zarr
/// v2 or v3 metadata and chunks from the OCDBT database (orbax's default) or from per-array
/// folders. Chunks are listed where they lie and assembled when read; their codecs (zstd,
/// zlib, gzip, blosc, zarr v3 sharding) are decoded then.
class OrbaxReader final : public FormatReader
{
public:
    std::string_view name() const override { return "orbax"; }
    Recognition recogniseFile(const FileProbe &probe) const override;
    Recognition recogniseFolder(const FolderProbe &probe) const override;
    CheckpointData readFile(SourceFile file, const FormatRegistry &registry) const override;
    CheckpointData readFolder(const std::string &folder, const FormatRegistry &registry) const override;
};

} // namespace ckpt
