#include "model/checkpoint/tensor_placement.h"

#include "model/formats/dcp_reader.h"
#include "model/formats/deepspeed_reader.h"

#include <filesystem>

namespace ckpt {
namespace {

int rankOfFile(const Checkpoint &c, int file)
{
    const std::string name = std::filesystem::path(c.files()[size_t(file)].path).filename().string();
    const int rank = dcpRankOf(name);
    return rank >= 0 ? rank : deepspeedRankOf(name);
}

PiecePlace pieceIn(const Checkpoint &c, const TensorInfo &t)
{
    const StorageInfo &s = c.storages()[size_t(t.storage)];
    PiecePlace p;
    p.offsets.assign(t.shape.size(), 0);
    p.sizes = t.shape;
    p.file = s.file;
    p.rank = rankOfFile(c, s.file);
    p.byteOffset = s.byteOffset + uint64_t(t.storageOffset) * uint64_t(dtypeBits(t.dtype)) / 8;
    p.nbytes = t.nbytes();
    return p;
}

} // namespace

std::vector<PiecePlace> piecesOf(const Checkpoint &c, const TensorInfo &t)
{
    std::vector<PiecePlace> out;
    if (t.storage >= 0) out.push_back(pieceIn(c, t));
    for (const TensorChunk &chunk : c.chunks(t)) {
        const TensorInfo &part = c.tensors()[size_t(chunk.tensor)];
        if (part.storage < 0) continue;
        PiecePlace p = pieceIn(c, part);
        p.offsets = chunk.offsets;
        p.sizes = chunk.sizes;
        p.flat = chunk.flat;
        out.push_back(std::move(p));
    }
    return out;
}

std::vector<FileShare> sharesByFile(const Checkpoint &c)
{
    std::vector<FileShare> out(c.files().size());
    for (size_t f = 0; f < out.size(); ++f) {
        out[f].file = int(f);
        out[f].rank = rankOfFile(c, int(f));
    }
    for (const StorageInfo &s : c.storages()) {
        if (s.file < 0 || size_t(s.file) >= out.size()) continue;
        out[size_t(s.file)].bytes += s.nbytes();
        ++out[size_t(s.file)].storages;
    }
    return out;
}

} // namespace ckpt
