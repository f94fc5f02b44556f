#pragma once

#include "model/formats/format_reader.h"

namespace ckpt {

/// Flax msgpack checkpoints (`flax.serialization.to_bytes`: transformers' flax_model.msgpack,
/// flax's checkpoint_<step>), read with msgpack-c (Debian libmsgpack-dev) in place: the state
/// dict as msgpack maps, each ndarray (ext 1, numpy scalar ext 3) listed where its bytes lie in
/// the file, arrays past 1 GiB that Flax cut into flat chunks assembled when read.
class FlaxMsgpackReader final : public FormatReader
{
public:
    std::string_view name() const override { return "flax-msgpack"; }
    std::vector<std::string_view> nameFilters() const override { return {".msgpack"}; }
    Recognition recogniseFile(const FileProbe &probe) const override;
    CheckpointData readFile(SourceFile file, const FormatRegistry &registry) const override;
};

} // namespace ckpt
