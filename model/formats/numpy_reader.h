#pragma once

#include "model/formats/format_reader.h"

namespace ckpt {

/// NumPy's own files: an `.npy` array (listed under the file's stem) or an `.npz` archive of
/// them (np.savez, stored, or np.savez_compressed, deflated: read by decoding the record),
/// keyed as np.load gives them (big_vision's `params/encoder/kernel` is one name). Arrays of
/// Python objects are never unpickled: their pickle goes through the safety scan and they are
/// left out of the tensors.
class NumpyReader final : public FormatReader
{
public:
    std::string_view name() const override { return "numpy"; }
    std::vector<std::string_view> nameFilters() const override { return {".npz", ".npy"}; }
    Recognition recogniseFile(const FileProbe &probe) const override;
    CheckpointData readFile(SourceFile file, const FormatRegistry &registry) const override;
};

} // namespace ckpt
