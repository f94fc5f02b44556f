#include "commands.h"

#include "model/checkpoint.h"
#include "model/plan_report.h"
#include "model/rule_config.h"
#include "model/rule_engine.h"

#include <iostream>

namespace ckpt::cli {

int runPlan(const CliArgs &args)
{
    const auto config = args.options.find("--config");
    if (args.positional.size() != 1 || config == args.options.end()) {
        std::cerr << "usage: ckpt plan PATH --config CFG [--json] [--step N]\n";
        return Unreadable;
    }
    const std::string &path = args.positional.front();
    auto rules = loadConfig(config->second);
    if (!rules) {
        printError(config->second, rules.error().message);
        return Unreadable;
    }
    auto compiled = CompiledRules::compile(*rules);
    if (!compiled) {
        printError(config->second, compiled.error().message);
        return Unreadable;
    }
    auto checkpoint = Checkpoint::open(path);
    if (!checkpoint) {
        printError(path, checkpoint.error().message);
        return Unreadable;
    }
    keepUntilExit(checkpoint.value());
    auto inputs = planInputs(**checkpoint, rules->weights);
    if (!inputs) {
        printError(config->second, inputs.error().message);
        return Unreadable;
    }
    std::optional<int64_t> step;
    if (const auto s = args.options.find("--step"); s != args.options.end()) {
        try {
            step = std::stoll(s->second);
        } catch (const std::exception &) {
            std::cerr << "ckpt plan: --step needs an integer\n";
            return Unreadable;
        }
    }
    const Plan plan = (*compiled)->evaluate(*inputs, step);
    if (args.has("--json")) {
        writePlanJson(std::cout, *inputs, *rules, plan);
        std::cout << "\n";
    } else {
        std::cout << planText(*inputs, *rules, plan);
    }
    std::cout << std::flush;
    return plan.hasErrors() ? Differs : Ok;
}

} // namespace ckpt::cli
