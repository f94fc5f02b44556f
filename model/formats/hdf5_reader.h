#pragma once

#include "model/formats/format_reader.h"
#include "model/formats/hdf5_catalog.h"

namespace ckpt {

/// HDF5 files, Keras's above all: Keras 3 `.weights.h5` (`layers/<layer>/vars/<i>`, bfloat16
/// as 2-byte opaque data marked `dtype="bfloat16"`), `.keras` (a zip of metadata.json,
/// config.json and model.weights.h5, stored) and Keras 2's legacy `.h5` (`model_weights/
/// <layer>/<layer>/kernel:0`, weights-only or a whole model). Any other HDF5 file opens too,
/// as the tree of its groups and datasets. libhdf5 runs in the helper ckpt-hdf5-reader, a
/// process of its own; the datasets' bytes are then viewed in the file like any tensor's. The
/// model's config (config.json, the legacy `model_config` attribute) is scanned, never run:
/// a Lambda layer's bytecode and classes from outside Keras go into the safety report.
class Hdf5Reader final : public FormatReader
{
public:
    std::string_view name() const override { return "hdf5"; }
    std::vector<std::string_view> nameFilters() const override { return {".keras", ".weights.h5", ".h5", ".hdf5"}; }
    Recognition recogniseFile(const FileProbe &probe) const override;
    CheckpointData readFile(SourceFile file, const FormatRegistry &registry) const override;
};

/// Makes d's tables and tree (d.files[0] is the file read) of what libhdf5 listed in the HDF5
/// file at [base, base + imageSize) of it, checked as any file's bytes are, since a helper's
/// answer about a hostile file may lie: every dataset's bytes within that range, shapes that
/// fit, names that form a tree. `inKerasZip`: it is a .keras file's model.weights.h5.
void addHdf5Catalog(CheckpointData &d, Hdf5Catalog &catalog, uint64_t base, uint64_t imageSize, bool inKerasZip);

} // namespace ckpt
