#pragma once

#include "mapped_file.h"
#include "pickle_value.h"
#include "result.h"
#include "safety_report.h"
#include "tensor_table.h"
#include "unpickler.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ckpt {

enum class CheckpointFormat : uint8_t {
    PyTorchZip,         ///< torch.save since 1.6
    TorchScript,        ///< torch.jit.save (a zip with constants.pkl)
    PyTorchLegacy,      ///< _use_new_zipfile_serialization=False
    Safetensors,
    ShardedSafetensors, ///< model.safetensors.index.json
    ShardedPyTorch,     ///< pytorch_model.bin.index.json
    Pickle,             ///< a bare pickle (pickle.dump), not a torch.save file
};

std::string_view formatName(CheckpointFormat format);

/// A file the checkpoint was read from, kept mapped for later views of tensor bytes.
struct SourceFile
{
    std::string path;
    uint64_t size = 0;
    std::shared_ptr<MappedFile> map;
};

/// A dict that looks like the model's weights, ranked best first.
struct WeightsCandidate
{
    Path path;
    size_t tensors = 0;
    int64_t parameters = 0;
    uint64_t bytes = 0;
};

/// Everything a reader produces. Filled by the format readers inside model/.
struct CheckpointData
{
    CheckpointFormat format = CheckpointFormat::PyTorchZip;
    std::vector<SourceFile> files;
    std::unique_ptr<ValueArena> arena = std::make_unique<ValueArena>();
    Value *root = nullptr;
    std::vector<StorageInfo> storages;
    std::vector<TensorInfo> tensors;
    std::vector<TensorEntry> entries;
    SafetyReport safety;
    std::vector<WeightsCandidate> candidates;
    std::map<std::string, std::string> metadata; ///< safetensors __metadata__, index metadata
    std::vector<std::string> warnings;
    int archiveVersion = 0;                      ///< zip "version" record, legacy protocol
    std::vector<std::vector<uint8_t>> buffers;   ///< inflated records the tree points into
};

/// An opened checkpoint: the object tree, the tensor table and the safety report, built from
/// metadata alone. Immutable once opened; share it freely between threads.
class Checkpoint final
{
public:
    /// Opens a file (any supported format, detected from its bytes), an index.json of a
    /// sharded model, or a folder holding one. Errors are one line, without the path.
    static Result<std::shared_ptr<const Checkpoint>> open(const std::string &path);

    explicit Checkpoint(CheckpointData data);

    CheckpointFormat format() const { return m_d.format; }
    const std::vector<SourceFile> &files() const { return m_d.files; }
    uint64_t totalFileSize() const;
    const Value *root() const { return m_d.root; }
    const std::vector<StorageInfo> &storages() const { return m_d.storages; }
    const std::vector<TensorInfo> &tensors() const { return m_d.tensors; }
    const std::vector<TensorEntry> &entries() const { return m_d.entries; }
    const SafetyReport &safety() const { return m_d.safety; }
    const std::vector<WeightsCandidate> &weightsCandidates() const { return m_d.candidates; }
    const std::map<std::string, std::string> &metadata() const { return m_d.metadata; }
    const std::vector<std::string> &warnings() const { return m_d.warnings; }
    int archiveVersion() const { return m_d.archiveVersion; }

    /// Entries (indices into entries()) whose tensors view the same storage as entry i.
    std::vector<size_t> storagePartners(size_t entry) const;
    /// Per storage: how many distinct tensor objects view it (> 1: tied weights or views).
    const std::vector<int> &storageViewers() const { return m_viewers; }
    /// Whether entry i's tensor shares its storage with another tensor object.
    bool sharesStorage(size_t entry) const;
    /// Sum of numel over entries, counting a tensor object once.
    int64_t totalParameters() const;
    /// Bytes the tensors' storages occupy, each storage once.
    uint64_t totalStorageBytes() const;

private:
    CheckpointData m_d;
    std::vector<int> m_viewers;
};

} // namespace ckpt
