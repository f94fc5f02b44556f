#pragma once

#include "model/rules/rule_engine.h"
#include "model/rules/rule_sources.h"
#include "model/rules/surgery_step.h"

#include <memory>
#include <optional>
#include <vector>

namespace ckpt {

/// A config with surgery rules, run as segments (internal to the rule engine): the per-tensor
/// rules between two surgery rules run as one plan over the tensors in flight; each surgery
/// rule then remakes that list (taken, stacked, split, merged tensors), and the next segment
/// sees the result like any other tensors.
class SurgeryProgram final
{
public:
    /// Throws std::runtime_error naming the rule or source at fault.
    SurgeryProgram(const RuleSet &set, std::shared_ptr<const RuleSources> sources);

    Plan evaluate(const std::vector<PlanInput> &inputs, std::optional<int64_t> step) const;
    std::vector<bool> selectedBy(size_t rule, const std::vector<PlanInput> &inputs) const;
    const RuleSources &sources() const { return *m_sources; }

private:
    struct Segment
    {
        std::shared_ptr<const CompiledRules> perTensor; ///< the rules before `surgery`
        RuleSet rules;                                  ///< what perTensor views
        int surgery = -1;                               ///< the surgery rule after them (-1: the end)
    };
    const RuleSet &m_set;
    std::shared_ptr<const RuleSources> m_sources;
    std::vector<std::unique_ptr<Segment>> m_segments;
    std::vector<surgery::CompiledSurgery> m_surgery; ///< per segment but the last
};

} // namespace ckpt
