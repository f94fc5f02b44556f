#pragma once

#include "checkpoint.h"

namespace ckpt {

/// Maps one checkpoint file and reads it with the reader its first bytes call for, then
/// walks the tree (tensor entries, weights candidates) and classifies the safety report.
/// Used by Checkpoint::open and for the shards of a sharded model.
Result<CheckpointData> loadCheckpointFile(const std::string &path);

} // namespace ckpt
