#include "rules_on_weights.h"

#include "cli_args.h"

#include "model/rules/rule_config.h"

namespace ckpt::cli {

std::optional<RulesOnWeights> loadRulesOnWeights(const std::string &path, const std::string *configPath)
{
    RulesOnWeights out;
    if (configPath) {
        auto rules = loadConfig(*configPath);
        if (!rules) {
            printError(*configPath, rules.error().message);
            return std::nullopt;
        }
        out.rules = std::move(*rules);
    }
    auto compiled = CompiledRules::compile(out.rules);
    if (!compiled) {
        printError(configPath ? *configPath : path, compiled.error().message);
        return std::nullopt;
    }
    out.compiled = *compiled;
    auto checkpoint = Checkpoint::open(path);
    if (!checkpoint) {
        printError(path, checkpoint.error().message);
        return std::nullopt;
    }
    out.checkpoint = *checkpoint;
    keepUntilExit(out.checkpoint);
    auto inputs = planInputs(*out.checkpoint, out.rules.weights);
    if (!inputs) { // the config's "weights" when it says where they are, else the file
        printError(configPath && out.rules.weights ? *configPath : path, inputs.error().message);
        return std::nullopt;
    }
    out.inputs = std::move(*inputs);
    return out;
}

} // namespace ckpt::cli
