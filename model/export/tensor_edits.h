#pragma once

#include "model/rules/rule_engine.h"
#include "model/rules/target_architecture.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ckpt {

/// The bytes the plan gives an input tensor: `original` (contiguous, the input's dtype and
/// shape) resized by its resize rule and cast to its planned dtype, by the LibTorch plugin.
/// Random fills are seeded by the tensor's name, so an export is reproducible. Throws
/// std::runtime_error with a one-line message.
std::vector<char> plannedBytes(std::vector<char> original, const PlanInput &input, const TensorPlan &plan,
                               const RuleSet &rules);

/// The same for any tensor: `original` (contiguous, `from` dtype, `shape`) resized by
/// `resize` (null: not) and cast to `to`; a random fill is seeded by `name`.
std::vector<char> editedBytes(std::vector<char> original, DType from, const std::vector<int64_t> &shape,
                              const Rule *resize, DType to, std::string_view name);

/// The bytes of tensors that add rules create. A "target" fill reads the source file named
/// in the rule (opened once per file). Throws std::runtime_error with a one-line message.
class AddedTensorBytes final
{
public:
    std::vector<char> bytes(const Rule &rule);

private:
    std::map<std::string, std::shared_ptr<const TargetArchitecture>> m_targets;
};

} // namespace ckpt
