#pragma once

#include "model/formats/checkpoint_data.h"

namespace ckpt {

/// Interprets the object tree's rebuild calls by name (nothing is called): persistent ids of
/// storages become StorageInfo rows, _rebuild_tensor*/_rebuild_parameter*/Parameter/meta
/// rebuilds become Tensor nodes with TensorInfo rows. Storage byte locations are left for
/// the format reader to fill. `firstValue`: resolve only the arena's values from there on
/// (a second pickle's, with storages of its own). Throws FormatError for malformed rebuilds.
void resolveTensors(CheckpointData &d, size_t firstValue = 0);

/// After the reader has located every storage: each storage fits its bytes and each tensor
/// fits its storage, as torch.load would insist. Throws FormatError.
void checkTensorBounds(const CheckpointData &d);

} // namespace ckpt
