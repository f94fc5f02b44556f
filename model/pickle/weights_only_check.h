#pragma once

#include "model/pickle/safety_report.h"
#include "model/pickle/unpickler.h"

#include <array>
#include <set>

namespace ckpt {

/// Replays what torch.load(weights_only=True) would do on each opcode, by the rules of one
/// PyTorch version (torch/_weights_only_unpickler.py), and records every reason it would stop.
class WeightsOnlyCheck final : public UnpickleObserver
{
public:
    enum class Policy { Torch113, Torch2 };
    explicit WeightsOnlyCheck(Policy policy) : m_policy(policy) {}

    void opcodesUsed(const std::array<bool, 256> &used) override;
    void global(const Value *global, bool viaStack) override;
    void reduce(const Value *callable, const Value *args) override;
    void newObject(const Value *cls) override;
    void build(const Value *target) override;
    void append(const Value *target) override;
    void setItem(const Value *target) override;
    void persistentId(const Value *pid) override;

    /// Adds this run's findings to a verdict (several pickles feed one verdict).
    void mergeInto(WeightsOnlyVerdict &verdict) const;

private:
    bool allowedGlobal(std::string_view module, std::string_view name) const;
    void block(std::string reason);

    Policy m_policy;
    std::vector<std::string> m_blockers;
    std::set<std::string> m_seen;
};

} // namespace ckpt
