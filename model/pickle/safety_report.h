#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ckpt {

/// What running a global would mean if a Python unpickler met it.
enum class GlobalCategory : uint8_t {
    TensorRebuild, ///< torch's own tensor/storage/dtype machinery
    SafeContainer, ///< standard containers and values (OrderedDict, set, bytes, Namespace, ...)
    Unknown,       ///< a class or function whose code would be needed to load the file
    Dangerous,     ///< can run commands, touch files or the network, or evaluate code
};

std::string_view categoryName(GlobalCategory category);

/// Classifies one global by name. `reason` (optional) receives why, for the report.
GlobalCategory classifyGlobal(std::string_view module, std::string_view name,
                              std::string *reason = nullptr);

/// One distinct global the pickle(s) reference.
struct GlobalUse
{
    std::string module;
    std::string name;
    std::string file;   ///< which file or record it was found in
    GlobalCategory category = GlobalCategory::Unknown;
    std::string reason;
    size_t count = 0;
    uint64_t firstOffset = 0;
    /// builtins.getattr used only to look up an attribute of another global, never called
    /// (pickle's Enum member): "owner module\nowner name\nattribute"; empty otherwise.
    std::string lookupOnly;
    /// Classified by the reader that found it, not by classifyGlobal (a Keras config's
    /// classes, which are no pickle's globals): finishSafetyReport keeps its category.
    bool classified = false;
};

/// Would `torch.load(..., weights_only=True)` accept the file, under one PyTorch version's
/// rules, and if not, what stands in the way (globals first, then other constructs).
struct WeightsOnlyVerdict
{
    bool applicable = true; ///< false for files torch.load does not read (safetensors)
    bool ok = true;
    std::vector<std::string> blockers;
};

struct SafetyReport
{
    std::vector<GlobalUse> globals;
    /// What lets two parsers read the file differently ("data.pkl: an opcode straddles the
    /// end of its FRAME (byte 12) at byte 9", records named alike): dangerous, since the reader
    /// that loads it may run what the one that scanned it did not see.
    std::vector<std::string> anomalies;
    bool dangerous = false;
    WeightsOnlyVerdict torch113; ///< PyTorch 1.13, as Debian 12 ships it
    WeightsOnlyVerdict torch2;   ///< PyTorch >= 2.6, where weights_only=True is the default
};

/// Adds a use a reader found and classified itself (a Keras config's class, a chat template's
/// construct: `use.classified` is set here): counted into the entry of the same module, name
/// and file when there is one, its first offset and reason kept.
void addClassifiedGlobal(SafetyReport &report, GlobalUse use);

} // namespace ckpt
