#pragma once

#include "model/checkpoint/checkpoint.h"
#include "model/base/result.h"
#include "model/rules/rule_engine.h"
#include "model/rules/rule_set.h"

#include <atomic>
#include <functional>
#include <string>

namespace ckpt {

struct ExportOptions
{
    enum class Format { PyTorch, Safetensors, Npz, Gguf };
    /// When the plan leaves optimizer state that cannot be remapped exactly: stop, drop the
    /// optimizer state, or reset the entries of resized parameters and list added ones fresh.
    enum class Optimizer { Abort, Drop, Reset };
    enum class Tied { Duplicate, Alias };  ///< safetensors: tensors that share storage

    std::string output;
    Format format = Format::PyTorch;
    bool weightsOnly = false;             ///< just the (edited) weights dict
    Optimizer optimizer = Optimizer::Abort;
    Tied tied = Tied::Duplicate;
    std::string configName;               ///< recorded in safetensors __metadata__
    uint64_t shardSize = 0;               ///< safetensors: > 0 splits into shards + index.json
    /// GGUF: "" writes every tensor in its dtype; "Q8_0" quantizes float matrices to Q8_0.
    std::string ggufType;
};

/// "5GB", "500MB", "2GiB", "1048576" -> bytes; nullopt when not a size.
std::optional<uint64_t> parseByteSize(const std::string &text);

struct ExportReport
{
    size_t tensors = 0;          ///< written
    size_t storages = 0;         ///< PyTorch: storage records written
    uint64_t bytes = 0;          ///< tensor bytes copied
    size_t dropped = 0;
    size_t renamed = 0;
    bool optimizerDropped = false;
    bool optimizerRemapped = false; ///< entries of dropped parameters removed, the rest renumbered
    size_t optimizerReset = 0;      ///< Optimizer::Reset: entries of resized parameters cleared
    size_t optimizerAdded = 0;      ///< Optimizer::Reset: added parameters listed without state
    std::vector<std::string> warnings; ///< what the user should look at (stale hyper-parameters)
    std::vector<std::string> aliases; ///< safetensors, Tied::Alias: "name=target"
    std::vector<std::string> files;   ///< written, the index last when sharded
    size_t resized = 0;               ///< tensors whose shape a resize rule changed
    size_t cast = 0;                  ///< tensors written in another dtype
    size_t added = 0;                 ///< tensors add rules created
    size_t made = 0;                  ///< tensors surgery made (taken, stacked, split, merged...)
    size_t consumed = 0;              ///< inputs surgery used up (part of a made tensor)

    /// "32 weights (30 renamed, 2 dropped, 3 resized, 1 added), optimizer state remapped
    /// (2 entries reset, 2 parameters added without state)"
    std::string summary() const;
};

/// What exporting with `options` would stop on because the optimizer state would no longer fit
/// the weights (Optimizer::Abort): the one-line message, and whether Optimizer::Reset would
/// fit it (otherwise only Drop or weights only will do). Nullopt when nothing stands in the way
/// (other errors are the export's to report). Lets a window ask before it writes.
struct OptimizerConflict
{
    std::string message;
    std::string details; ///< what no longer fits ("model.fc.weight [1000, 512] -> [10, 512], ..."), or why
    bool resettable = false;
};
std::optional<OptimizerConflict> optimizerConflict(const Checkpoint &source, const RuleSet &rules,
                                                   const ExportOptions &options);

/// Writes the checkpoint as the rules make it: renames and drops applied to the weights dict,
/// everything else kept as it was (PyTorch format) or the weights alone (safetensors).
/// Tensor bytes are copied from the source file in chunks (memory stays bounded), into a
/// temporary file in the destination folder that is flushed and renamed into place only when
/// complete; then the output is opened again and every tensor's name, dtype, shape and bytes
/// (CRC-32) are checked. On any failure or cancel the temporary file is removed; the source is
/// never written. Errors are one line.
Result<ExportReport> exportCheckpoint(const Checkpoint &source, const RuleSet &rules,
                                      const ExportOptions &options,
                                      const std::atomic<bool> *cancel = nullptr,
                                      const std::function<void(double)> &progress = {});

} // namespace ckpt
