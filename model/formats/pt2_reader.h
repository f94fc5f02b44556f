#pragma once

#include "model/formats/format_reader.h"

namespace ckpt {

/// torch.export archives (`torch.export.save`, .pt2), read without torch: each model's weights
/// and constants from its `<model>_weights_config.json` and `<model>_constants_config.json`
/// (name, parameter or buffer, dtype, sizes, strides, storage offset; the raw bytes of each
/// storage, shared by aliases), and the graph's input signature from `models/<model>.json`.
class Pt2Reader final : public FormatReader
{
public:
    std::string_view name() const override { return "pt2"; }
    std::vector<std::string_view> nameFilters() const override { return {".pt2"}; }
    Recognition recogniseFile(const FileProbe &probe) const override;
    CheckpointData readFile(SourceFile file, const FormatRegistry &registry) const override;
};

} // namespace ckpt
