#pragma once

#include "model/checkpoint/checkpoint.h"
#include "model/compute/compute_backend.h"
#include "model/base/dtype.h"
#include "model/base/result.h"

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace ckpt {

/// One entry of the state_dict the target model expects.
struct TargetTensor
{
    enum class Kind { Parameter, Buffer, Unknown };
    std::string name;
    std::vector<int64_t> shape;
    DType dtype = DType::Unknown;
    Kind kind = Kind::Unknown;
    std::string moduleType;     ///< the owning module's class (TorchScript targets)
    int entry = -1;             ///< where its values are in `values` (-1: none)
};

/// What a model expects to load: another checkpoint's weights, a TorchScript archive's
/// parameters and buffers, or a JSON manifest {name: {"shape": [...], "dtype": "..."}}.
struct TargetArchitecture
{
    enum class Source { Checkpoint, TorchScript, Manifest };
    std::string path;
    Source source = Source::Manifest;
    std::vector<TargetTensor> tensors;        ///< in state_dict order
    std::shared_ptr<const Checkpoint> values; ///< the file holding the tensors' values, if any

    const TargetTensor *find(const std::string &name) const;
    std::unordered_map<std::string, size_t> byName; ///< name -> index into tensors; filled by loadTarget
    /// Module name -> class, when the target knows it (TorchScript).
    std::vector<std::pair<std::string, std::string>> modules;
};

/// Reads a target. A TorchScript archive goes through LibTorch's torch::jit::load, after
/// checking that it defines no __setstate__ code that loading would run, in a helper process
/// (ckpt-script-reader) so that a file that crashes or hangs the loader costs an error, not
/// the app. Errors are one line, without the path.
Result<TargetArchitecture> loadTarget(const std::string &path);

/// The helper's side: what torch::jit::load says about a TorchScript archive, as JSON, and
/// back.
std::string scriptModuleJson(const ScriptModuleInfo &info);
Result<ScriptModuleInfo> parseScriptModuleJson(const std::string &text);

/// Module name -> class ("encoder.ln" -> "LayerNorm") of a TorchScript archive or a manifest
/// with module_type entries, read once per file and shared (the "type" matchers ask it on
/// every keystroke). Errors are one line, without the path.
using ModuleTypes = std::unordered_map<std::string, std::string>;
Result<std::shared_ptr<const ModuleTypes>> moduleTypes(const std::string &path);

/// The manifest that describes `target` (what `ckpt compare --write-manifest` and the README's
/// Python produce).
std::string manifestJson(const TargetArchitecture &target);

} // namespace ckpt
