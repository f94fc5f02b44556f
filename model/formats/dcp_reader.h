#pragma once

#include "model/formats/format_reader.h"

namespace ckpt {

/// A torch.distributed.checkpoint (DCP) folder: a `.metadata` pickle (read with our
/// unpickler, never run) names every entry, its global shape and dtype, and where each chunk
/// of it lies in the ranks' `__R_S.distcp` files; each chunk (and each non-tensor item) is a
/// torch.save archive stored there. A tensor in one piece is listed as that piece; one cut
/// across ranks is listed whole, with its chunks (TensorInfo::chunks). The folder, or its
/// `.metadata`, opens as one checkpoint, nested as planner_data says.
class DcpReader final : public FormatReader
{
public:
    std::string_view name() const override { return "dcp"; }
    Recognition recogniseFile(const FileProbe &probe) const override;
    Recognition recogniseFolder(const FolderProbe &probe) const override;
    CheckpointData readFile(SourceFile file, const FormatRegistry &registry) const override;
};

/// The rank that wrote a DCP data file, from its name (`__3_0.distcp` -> 3); -1 otherwise.
int dcpRankOf(std::string_view fileName);

} // namespace ckpt
