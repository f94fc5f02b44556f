#pragma once

#include "model/checkpoint/checkpoint.h"

#include <cstdint>
#include <vector>

namespace ckpt {

/// Where one piece of a tensor's bytes lies: its place in the whole (offsets and sizes per
/// dimension), the file and the rank that wrote it (a DCP `__R_S.distcp`; -1 otherwise), and
/// the byte range there.
struct PiecePlace
{
    std::vector<int64_t> offsets;
    std::vector<int64_t> sizes;
    int file = -1;
    int rank = -1;
    uint64_t byteOffset = 0;
    uint64_t nbytes = 0;
    bool flat = false; ///< offsets and sizes are one run of the flattened tensor
};

/// The pieces of a tensor: its chunks when it is cut across files, else the one piece in its
/// storage; none for a tensor without bytes.
std::vector<PiecePlace> piecesOf(const Checkpoint &c, const TensorInfo &t);

/// How much of the tensors' bytes each file of a checkpoint holds (a rank's share of a
/// distributed checkpoint, a shard's of a sharded model), in the order of files().
struct FileShare
{
    int file = 0;
    int rank = -1;
    uint64_t bytes = 0;  ///< storages in the file, each once
    size_t storages = 0;
};
std::vector<FileShare> sharesByFile(const Checkpoint &c);

} // namespace ckpt
