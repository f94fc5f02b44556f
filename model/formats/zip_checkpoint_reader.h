#pragma once

#include "model/formats/format_reader.h"

namespace ckpt {

/// torch.save's zip archive (PyTorch 1.6 on) and torch.jit.save's TorchScript archive, told
/// apart by its constants.pkl record.
class ZipCheckpointReader final : public FormatReader
{
public:
    std::string_view name() const override { return "pytorch-zip"; }
    std::vector<std::string_view> nameFilters() const override { return {".pt", ".pth", ".bin", ".ckpt"}; }
    Recognition recogniseFile(const FileProbe &probe) const override;
    CheckpointData readFile(SourceFile file, const FormatRegistry &registry) const override;
};

} // namespace ckpt
