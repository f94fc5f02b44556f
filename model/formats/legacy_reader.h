#pragma once

#include "model/formats/format_reader.h"

namespace ckpt {

/// torch.save(..., _use_new_zipfile_serialization=False) and, when its first pickle is not
/// torch's magic number, a bare pickle (pickle.dump) shown as it is.
class LegacyReader final : public FormatReader
{
public:
    std::string_view name() const override { return "pytorch-legacy"; }
    std::vector<std::string_view> nameFilters() const override { return {".pt", ".pth", ".bin", ".ckpt"}; }
    Recognition recogniseFile(const FileProbe &probe) const override;
    CheckpointData readFile(SourceFile file, const FormatRegistry &registry) const override;

private:
    CheckpointData read(SourceFile file, const FormatRegistry &registry) const;
};

} // namespace ckpt
