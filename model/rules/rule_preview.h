#pragma once

#include "model/rules/rule_engine.h"

#include <memory>

namespace ckpt {

/// What `candidate` would select if it stood at `position` in the rules (seeing the names
/// the rules before it produce): the live preview while a rule is edited. Errors are the
/// candidate's own (an invalid pattern as it is being typed).
struct RulePreview
{
    std::vector<bool> selected; ///< parallel to the inputs
    size_t tensors = 0;
    int64_t parameters = 0;
    /// A surgery candidate: the tensors it would make (names, shapes, dtypes, where from).
    std::vector<AddedTensor> made;
    std::shared_ptr<const RecipeBook> recipes;
};

/// What a rule edited at `position` sees: the names the rules before it produce and what
/// they dropped. Made once while those rules and the inputs stay the same; each keystroke
/// then runs only the candidate over it (a few milliseconds for 100k names).
class PreviewBase final
{
public:
    PreviewBase(const RuleSet &rules, size_t position, const std::vector<PlanInput> &inputs);

    size_t position() const { return m_position; }
    size_t size() const { return m_seen.size(); }
    Result<RulePreview> preview(const Rule &candidate) const;

private:
    size_t m_position;
    RuleSet m_context;              ///< aliases and types the candidate may name; no rules
    std::vector<PlanInput> m_seen;  ///< the inputs as the candidate sees them (names renamed)
    std::vector<bool> m_dropped;
};

/// PreviewBase(rules, position, inputs).preview(candidate), in one call.
Result<RulePreview> previewRule(const RuleSet &rules, size_t position, const Rule &candidate,
                                const std::vector<PlanInput> &inputs);

} // namespace ckpt
