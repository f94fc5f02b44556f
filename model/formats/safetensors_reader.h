#pragma once

#include "model/formats/format_reader.h"

namespace ckpt {

/// A safetensors file: an 8-byte header length, a JSON header, the tensors' bytes. Its name
/// decides (a broken header is then reported as one, even when its length bytes happen to
/// look like something else); unnamed, a plausible header length and '{' do.
class SafetensorsReader final : public FormatReader
{
public:
    std::string_view name() const override { return "safetensors"; }
    std::vector<std::string_view> nameFilters() const override { return {".safetensors"}; }
    Recognition recogniseFile(const FileProbe &probe) const override;
    CheckpointData readFile(SourceFile file, const FormatRegistry &registry) const override;
};

} // namespace ckpt
