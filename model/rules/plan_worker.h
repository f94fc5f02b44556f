#pragma once

#include "model/rules/compiled_rule.h"
#include "model/rules/plan_storage.h"
#include "model/rules/rule_engine.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ckpt {

/// Runs the rules over a share of the tensors: one worker per thread (internal to the rule
/// engine). Tensors go in blocks of 64, rule by rule: one kind of test runs over the block
/// at a time (bit masks say which tensors a rule selected), so the preview's inner loop has
/// no per-tensor dispatch and the block's state stays in cache. A worker keeps its own
/// counts, its own view of which rules show in the result, and its own storage for names
/// and group lists, so workers share nothing while they run.
class PlanWorker final
{
public:
    explicit PlanWorker(const std::vector<CompiledRule> &rules);

    /// Takes chunks of tensors from `next` until none are left and fills their plan.tensors;
    /// with `renamedBy` and `hashes` (both sized to the inputs) also what the collision check
    /// needs. Chunks balance the threads when rules cost more on some tensors than others.
    void run(const std::vector<PlanInput> &inputs, std::atomic<size_t> &next, Plan &plan,
             std::vector<int> *renamedBy, std::vector<uint64_t> *hashes);
    /// Runs the rules up to `rule` only, and sets bit i % 64 of selected[i / 64] when `rule`
    /// selects tensor i: the preview of a rule being edited, without a plan.
    void runUpTo(const std::vector<PlanInput> &inputs, std::atomic<size_t> &next, size_t rule,
                 std::vector<uint64_t> &selected);

    std::vector<RuleOutcome> outcomes; ///< parallel to the rules
    std::vector<char> visible;         ///< rule k shows in some tensor's result
    PlanStorageWriter storage;

private:
    static constexpr int kBlock = 64;

    /// Takes the chunks, in blocks: fn(first tensor, count).
    template <typename Fn> void forEachBlock(size_t n, std::atomic<size_t> &next, Fn &&fn);
    /// The rules up to and including `last` over one block, from the tensors' own names.
    void applyRules(const PlanInput *inputs, int count, size_t last);
    void runBlock(const PlanInput *inputs, int count, TensorPlan *plans, int *renamedBy, uint64_t *hashes);
    /// Renames the selected tensors; returns those the rule renamed (a prefix rename skips
    /// names without the prefix, a regex rename names it does not match).
    uint64_t rename(const CompiledRule &c, uint64_t selected);
    void noteVisible(size_t k, uint64_t selected);
    std::span<const std::string> groupsOf(int i);

    const std::vector<CompiledRule> &m_rules;
    std::vector<size_t> m_active;       ///< enabled rules that select tensors
    std::vector<size_t> m_groupRules;   ///< the group rules among them
    std::vector<uint64_t> m_selected;   ///< per rule: the block's tensors it selected
    std::vector<uint64_t> m_groupKey;   ///< bit j: group rule j selected the tensor at hand

    // The block's tensors while the rules run over them.
    std::array<std::string_view, kBlock> m_names;
    std::array<std::string, kBlock> m_buffers[2]; ///< renamed names; names[i] never views buffers[m_next[i]][i]
    std::array<uint8_t, kBlock> m_next;
    std::array<DType, kBlock> m_dtypes;
    std::array<int, kBlock> m_lastFreeze, m_lastCast, m_renamedBy, m_resizedBy;
    uint64_t m_dropped = 0, m_frozen = 0, m_renamed = 0;
};

} // namespace ckpt
