#pragma once

#include "model/base/result.h"
#include "model/checkpoint/checkpoint.h"
#include "model/rules/rule_engine.h"
#include "model/rules/rule_set.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ckpt {

/// What a PEFT adapter folder's adapter_config.json says about merging its LoRA weights.
struct LoraConfig
{
    double alpha = 8;
    int64_t r = 8;
    bool rslora = false;       ///< s = alpha / sqrt(r)
    bool fanInFanOut = false;  ///< the base weights are stored (in, out): GPT-2's Conv1D
    std::vector<std::pair<std::string, double>> alphaPattern; ///< module pattern -> alpha
    /// The alpha of a module ("model.layers.0.self_attn.q_proj"), as PEFT picks it: the first
    /// pattern that matches the end of the name at a dot.
    double alphaFor(const std::string &module) const;
};

/// One opened source: its checkpoint and the tensors of its weights dict.
struct OpenedSource
{
    std::string name;
    std::string path;          ///< as resolved
    std::shared_ptr<const Checkpoint> checkpoint;
    std::vector<PlanInput> inputs;
    std::optional<LoraConfig> lora; ///< a PEFT adapter folder
};

/// The checkpoints a config's "sources" name, each opened once (a source unchanged on disk is
/// not opened again when the rules are compiled anew: the live preview compiles on every edit).
class RuleSources final
{
public:
    /// Errors name the source: "sources.text: text_model.safetensors: no such file".
    static Result<RuleSources> open(const RuleSet &set);
    /// The source of that name; null when the config has none. Index k is RecipeStep::source k + 1.
    const OpenedSource *find(const std::string &name, int *index = nullptr) const;
    const std::vector<OpenedSource> &all() const { return m_sources; }

private:
    std::vector<OpenedSource> m_sources;
};

} // namespace ckpt
