#pragma once

// What the exporter's writers share: the prepared plan, progress and cancel, and read-back
// checks. Internal to model/export.

#include "model/checkpoint/checkpoint.h"
#include "model/export/exporter.h"
#include "model/pickle/pickle_value.h"
#include "model/rules/rule_engine.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace ckpt::exporting {

constexpr size_t kChunk = size_t(8) << 20; // bytes copied at a time: the export's memory bound

/// Thrown by Progress::advance when the caller cancels.
struct Cancelled
{
};

/// Progress over the bytes an export writes; checks the cancel flag at every step.
struct Progress
{
    const std::atomic<bool> *cancel;
    const std::function<void(double)> &report;
    uint64_t total = 1;
    uint64_t done = 0;
    void advance(uint64_t n)
    {
        done += n;
        if (cancel && cancel->load()) throw Cancelled{};
        if (report) report(double(done) / double(std::max<uint64_t>(total, 1)));
    }
};

/// The plan an export writes, with what it edits.
struct Prepared
{
    std::vector<PlanInput> inputs;
    Plan plan;
    const Value *weights = nullptr;
    Path weightsPath;            ///< where `weights` is in the tree
    std::map<int, size_t> edits; ///< tensor index -> the input whose plan casts or resizes it
    const RuleSet *rules = nullptr; ///< the rules given, with the checkpoint's metadata (`bound`)
    std::shared_ptr<const RuleSet> bound;
    std::shared_ptr<const CompiledRules> compiled; ///< with the sources surgery reads
    /// Keys of the weights dict that hold no tensor (a quantized Linear's _packed_params dtype
    /// and its (weight, bias) tuple), as the name rules leave them: the new key, or nullopt
    /// when dropped. A module is renamed or dropped whole.
    std::map<std::string, std::optional<std::string>> companions;
    /// Module names of the state dict's _metadata (load_state_dict's versions: a quantized
    /// Linear reads its packed format from there) as the renames leave them.
    std::map<std::string, std::string> metadataModules;
};

bool isOptimizerKey(std::string_view key);
/// CRC-32 of [offset, offset + size) of a written file, read back with pread.
uint32_t crcOfFile(const std::string &path, uint64_t offset, uint64_t size);

/// The plan for `c` under `rules`, checked (no errors, computed tensors that fit in memory).
Prepared prepare(const Checkpoint &c, const RuleSet &rules);

/// Thrown by fitOptimizers when the options do not say what to do with optimizer state that
/// no longer fits: `resettable` when Optimizer::Reset would fit it.
struct OptimizerMisfit : std::runtime_error
{
    OptimizerMisfit(const std::string &message, std::string details, bool resettable)
        : std::runtime_error(message), details(std::move(details)), resettable(resettable)
    {
    }
    std::string details; ///< what no longer fits, or why the state cannot be matched
    bool resettable;
};

/// What the read-back must find of each optimizer state dict the output keeps, in the order
/// of the root's keys.
struct OptimizerCheck
{
    bool mustFit = false;            ///< it fitted its weights before, or was fitted to them
    std::vector<size_t> groupSizes;  ///< when fitted: the indices per param group
};

/// Fits every optimizer state dict under the root to the exported weights (optimizer_fit.h):
/// the new dicts go into `replace`; one that cannot be fitted, or needs entries reset the
/// options do not allow, is dropped with the optimizer state (Optimizer::Drop) or stops the
/// export with one line saying what to do.
std::vector<OptimizerCheck> fitOptimizers(ValueArena &arena, const Checkpoint &c, const Prepared &p,
                                          const ExportOptions &o,
                                          std::unordered_map<const Value *, const Value *> &replace,
                                          ExportReport &report);
/// Throws "verification: ..." when an optimizer state dict of the written file `out` does not
/// fit its weights `inputs` as `checks` expect.
void verifyOptimizers(const Checkpoint &out, const std::vector<PlanInput> &inputs,
                      const std::vector<OptimizerCheck> &checks);

ExportReport writePyTorch(const Checkpoint &c, const Prepared &p, const ExportOptions &o, Progress &progress);
ExportReport writeSafetensors(const Checkpoint &c, const Prepared &p, const ExportOptions &o, Progress &progress);
ExportReport writeNpz(const Checkpoint &c, const Prepared &p, const ExportOptions &o, Progress &progress);
ExportReport writeGguf(const Checkpoint &c, const Prepared &p, const ExportOptions &o, Progress &progress);

} // namespace ckpt::exporting
