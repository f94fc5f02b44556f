#include "model/commands/rules_on_weights.h"

#include "model/rules/rule_config.h"

#include <filesystem>

namespace ckpt {

std::string ConfigInput::fileName() const
{
    return text ? std::string() : std::filesystem::path(path).filename().string();
}

Result<RuleSet> loadConfigInput(const ConfigInput &config)
{
    if (!config.given()) return RuleSet{};
    auto rules = config.text ? parseConfig(*config.text, ConfigFormat::Json) : loadConfig(config.path);
    if (!rules) return Error{rules.error().message, config.path};
    return rules;
}

Result<RulesOnWeights> loadRulesOnWeights(const std::string &path, const ConfigInput &config)
{
    RulesOnWeights out;
    auto rules = loadConfigInput(config);
    if (!rules) return rules.error();
    out.rules = std::move(*rules);
    auto checkpoint = Checkpoint::open(path);
    if (!checkpoint) return Error{checkpoint.error().message, path};
    out.checkpoint = *checkpoint;
    out.rules.metadata = out.checkpoint->metadata();
    auto compiled = CompiledRules::compile(out.rules);
    if (!compiled) return Error{compiled.error().message, config.given() ? config.path : path};
    out.compiled = *compiled;
    auto inputs = planInputs(*out.checkpoint, out.rules.weights);
    if (!inputs) return Error{inputs.error().message, config.given() && out.rules.weights ? config.path : path};
    out.inputs = std::move(*inputs);
    return out;
}

} // namespace ckpt
