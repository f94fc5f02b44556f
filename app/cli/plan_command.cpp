#include "commands.h"
#include "rules_on_weights.h"

#include "model/checkpoint/checkpoint.h"
#include "model/report/plan_report.h"
#include "model/rules/rule_config.h"
#include "model/rules/rule_engine.h"
#include "model/rules/config_dialects.h"
#include "model/base/atomic_file.h"

#include <filesystem>

#include <iostream>

namespace ckpt::cli {
namespace {

/// --emit json|yaml|python|anemoi|kempnerforge|linnaeus, to -o FILE (written atomically) or stdout.
int emitConfig(const CliArgs &args, const std::string &format, const Checkpoint &checkpoint,
               const RuleSet &rules, const std::vector<PlanInput> &inputs, const Plan &plan)
{
    const std::string configPath = args.options.at("--config");
    const std::string configName = std::filesystem::path(configPath).filename().string();
    std::string text;
    if (format == "json" || format == "yaml")
        text = writeConfig(rules, checkpoint, args.positional.front(), inputs, plan,
                           format == "json" ? ConfigFormat::Json : ConfigFormat::Yaml);
    else if (format == "python") text = emitPythonFunction(inputs, rules, plan, configName);
    else if (format == "anemoi") text = emitAnemoiYaml(inputs, plan, args.positional.front());
    else if (format == "kempnerforge") text = emitKempnerForgeToml(inputs, plan);
    else if (format == "linnaeus") text = emitLinnaeusYaml(inputs, rules, plan);
    else {
        std::cerr << "ckpt plan: --emit takes json, yaml, python, anemoi, kempnerforge or linnaeus\n";
        return Unreadable;
    }
    const auto out = args.options.find("-o");
    if (out == args.options.end()) {
        std::cout << text << std::flush;
    } else if (auto written = writeFileAtomically(out->second, text); !written) {
        printError(out->second, written.error().message);
        return Unreadable;
    }
    return plan.hasErrors() ? Differs : Ok;
}

} // namespace

int runPlan(const CliArgs &args)
{
    const auto config = args.options.find("--config");
    if (args.positional.size() != 1 || config == args.options.end()) {
        std::cerr << "usage: ckpt plan PATH --config CFG [--json] [--step N]\n";
        return Unreadable;
    }
    auto loaded = loadRulesOnWeights(args.positional.front(), &config->second);
    if (!loaded) return Unreadable;
    const RuleSet &rules = loaded->rules;
    const std::vector<PlanInput> &inputs = loaded->inputs;
    std::optional<int64_t> step;
    if (const auto s = args.options.find("--step"); s != args.options.end()) {
        try {
            step = std::stoll(s->second);
        } catch (const std::exception &) {
            std::cerr << "ckpt plan: --step needs an integer\n";
            return Unreadable;
        }
    }
    const Plan plan = loaded->compiled->evaluate(inputs, step);
    if (const auto emit = args.options.find("--emit"); emit != args.options.end())
        return emitConfig(args, emit->second, *loaded->checkpoint, rules, inputs, plan);
    if (args.has("--json")) {
        writePlanJson(std::cout, inputs, rules, plan);
        std::cout << "\n";
    } else {
        std::cout << planText(inputs, rules, plan);
    }
    std::cout << std::flush;
    return plan.hasErrors() ? Differs : Ok;
}

} // namespace ckpt::cli
