#pragma once

#include "model/formats/format_reader.h"

#include <cstring>

namespace ckpt {

/// The PyTorch 1.0 preview's TorchScript archive (magic "PYTORCH1"): recognised, and refused.
class PreviewArchiveReader final : public FormatReader
{
public:
    std::string_view name() const override { return "pytorch-preview"; }
    Recognition recogniseFile(const FileProbe &probe) const override
    {
        if (probe.head.size() < 8 || std::memcmp(probe.head.data(), "PYTORCH1", 8) != 0) return {};
        return {85, "starts with PYTORCH1", "archive from the PyTorch 1.0 preview is not supported", {}};
    }
};

} // namespace ckpt
