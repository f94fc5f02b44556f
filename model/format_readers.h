#pragma once

#include "checkpoint.h"

#include <string>

namespace ckpt {

// One function per container format. Each takes the already-mapped file, fills a
// CheckpointData (object tree, storages with their byte locations, tensors) and throws
// FormatError with a one-line reason when the bytes are not what they claim to be.
// The common tail (tree walk, safety classification) is Checkpoint::open's.

CheckpointData readZipCheckpoint(SourceFile file);
CheckpointData readLegacyCheckpoint(SourceFile file);
CheckpointData readSafetensors(SourceFile file);
/// `indexPath` is an index.json; its shards are opened relative to its folder.
CheckpointData readShardedIndex(const std::string &indexPath);

/// What the first bytes say a file is.
enum class Sniffed { Zip, Tar, LegacyPickle, Safetensors, TorchScriptPreview, Json, Unknown };
Sniffed sniff(const uint8_t *data, uint64_t size);

} // namespace ckpt
