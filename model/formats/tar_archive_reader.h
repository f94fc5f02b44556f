#pragma once

#include "model/formats/format_reader.h"

#include <cstring>

namespace ckpt {

/// torch.save before PyTorch 0.4 wrote a tar archive: recognised, and refused by name.
class TarArchiveReader final : public FormatReader
{
public:
    std::string_view name() const override { return "pytorch-tar"; }
    Recognition recogniseFile(const FileProbe &probe) const override
    {
        if (probe.head.size() < 262 || std::memcmp(probe.head.data() + 257, "ustar", 5) != 0) return {};
        return {80, "has a tar header", "tar checkpoint from PyTorch < 0.4 is not supported", {}};
    }
};

} // namespace ckpt
