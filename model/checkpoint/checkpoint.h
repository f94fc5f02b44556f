#pragma once

#include "model/base/result.h"
#include "model/formats/checkpoint_data.h"

#include <map>
#include <span>
#include <memory>
#include <string>
#include <vector>

namespace ckpt {

/// An opened checkpoint: the object tree, the tensor table and the safety report, built from
/// metadata alone. Immutable once opened; share it freely between threads.
class Checkpoint final
{
public:
    /// Opens a file (any supported format, detected from its bytes), an index.json of a
    /// sharded model, or a folder holding one. Errors are one line, without the path.
    static Result<std::shared_ptr<const Checkpoint>> open(const std::string &path);

    explicit Checkpoint(CheckpointData data);

    /// What the file is ("pytorch-zip", "safetensors", ...; see CheckpointData::format).
    const std::string &format() const { return m_d.format; }
    /// The reader that took the file, and why (its recognition).
    const std::string &reader() const { return m_d.reader; }
    const std::string &recognition() const { return m_d.recognition; }
    const std::vector<SourceFile> &files() const { return m_d.files; }
    uint64_t totalFileSize() const;
    const Value *root() const { return m_d.root; }
    const std::vector<StorageInfo> &storages() const { return m_d.storages; }
    /// Whether a storage's bytes can be read: in its file, or inflated (a compressed record).
    static bool readable(const StorageInfo &s) { return s.mapped || s.buffer >= 0 || s.compressedItem >= 0; }
    /// Whether a storage's bytes can be viewed in place (readable without decoding a stream).
    static bool viewable(const StorageInfo &s) { return s.mapped || s.buffer >= 0; }
    const std::vector<CompressedItem> &compressedItems() const { return m_d.compressedItems; }
    /// A readable storage's bytes, [0, byteLength).
    ByteView storageBytes(const StorageInfo &s) const;
    const std::vector<TensorInfo> &tensors() const { return m_d.tensors; }
    const std::vector<TensorEntry> &entries() const { return m_d.entries; }
    /// The chunks of a tensor cut across files (ordered by offset); empty for one in one piece.
    std::span<const TensorChunk> chunks(const TensorInfo &t) const
    {
        if (t.chunks < 0) return {};
        return m_d.chunkLists[size_t(t.chunks)];
    }
    const SafetyReport &safety() const { return m_d.safety; }
    const std::vector<WeightsCandidate> &weightsCandidates() const { return m_d.candidates; }
    /// The weights are a pytree, named by their paths joined with '.' (CheckpointData::pytreeWeights).
    bool pytreeWeights() const { return m_d.pytreeWeights; }
    const std::map<std::string, std::string> &metadata() const { return m_d.metadata; }
    const std::vector<std::string> &warnings() const { return m_d.warnings; }
    int archiveVersion() const { return m_d.archiveVersion; }
    /// Tensor bytes are stored big-endian (saved on such a machine): tensorBytes() gives them
    /// in this machine's order; a PyTorch export keeps them as they are.
    bool bigEndian() const { return m_d.bigEndian; }

    /// Entries (indices into entries()) whose tensors view the same storage as entry i.
    std::vector<size_t> storagePartners(size_t entry) const;
    /// Per storage: how many distinct tensor objects view it (> 1: tied weights or views).
    const std::vector<int> &storageViewers() const { return m_viewers; }
    /// Whether entry i's bytes are those of another place too: another tensor object views
    /// its storage, or the same tensor object (a tied Parameter) sits at another place.
    bool sharesStorage(size_t entry) const;
    /// Sum of numel over entries, counting a tensor object once.
    int64_t totalParameters() const;
    /// Bytes the tensors' storages occupy, each storage once.
    uint64_t totalStorageBytes() const;

private:
    CheckpointData m_d;
    std::vector<int> m_viewers;
    std::vector<int> m_places; ///< per storage: entries whose tensors view it
};

} // namespace ckpt
