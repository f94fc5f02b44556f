#pragma once

#include "model/formats/checkpoint_data.h"

namespace ckpt {

/// Runs one pickle of a checkpoint into d's arena, with the weights-only checks of both
/// PyTorch versions watching, and adds its globals to d's safety report under `label`
/// (the file or record name). Returns the root; *end receives the offset past STOP.
/// `data` must live as long as d (a mapping in d.files, or a buffer in d.buffers): strings
/// in the tree point into it.
/// Throws FormatError("<label>: <problem>").
Value *runPickle(CheckpointData &d, const uint8_t *data, uint64_t size, uint64_t start,
                 const std::string &label, uint64_t *end = nullptr);

/// Runs a pickle that is not read (a second record of the same name, a pickle behind the one
/// read) from `start` only to add the globals it names to d's safety report under `label`;
/// the weights_only verdicts stay those of what is read. Returns the offset past its STOP.
/// Throws FormatError when it breaks, after adding the globals it named before that.
uint64_t scanPickle(CheckpointData &d, const uint8_t *data, uint64_t size, const std::string &label, uint64_t start = 0);

/// Classifies the collected globals and sets SafetyReport::dangerous.
void finishSafetyReport(SafetyReport &report);

} // namespace ckpt
