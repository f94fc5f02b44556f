#include "commands.h"

#include "model/base/atomic_file.h"
#include "model/commands/plan_run.h"
#include "model/report/plan_report.h"

#include <iostream>

namespace ckpt::cli {

int runPlan(const CliArgs &args)
{
    const auto config = args.options.find("--config");
    if (args.positional.size() != 1 || config == args.options.end()) {
        std::cerr << "usage: ckpt plan PATH --config CFG [--json] [--step N]\n";
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
    auto run = ckpt::runPlan(args.positional.front(), ConfigInput{config->second}, step);
    if (!run) {
        printError(run.error().input, run.error().message);
        return Unreadable;
    }
    const auto kept = std::make_shared<const PlanRun>(std::move(*run));
    keepUntilExit(kept); // a 100k-tensor plan is not freed node by node before exit
    const PlanRun &planned = *kept;
    const int status = planned.plan.hasErrors() ? Differs : Ok;
    // --emit json|yaml|python|anemoi|kempnerforge|linnaeus, to -o FILE (written atomically) or stdout.
    if (const auto emit = args.options.find("--emit"); emit != args.options.end()) {
        auto text = emittedConfig(planned, emit->second);
        if (!text) {
            std::cerr << "ckpt plan: --emit takes json, yaml, python, anemoi, kempnerforge or linnaeus\n";
            return Unreadable;
        }
        const auto out = args.options.find("-o");
        if (out == args.options.end()) {
            std::cout << *text << std::flush;
        } else if (auto written = writeFileAtomically(out->second, *text); !written) {
            printError(out->second, written.error().message);
            return Unreadable;
        }
        return status;
    }
    if (args.has("--json")) std::cout << planJson(planned) << "\n";
    else std::cout << planText(planned.loaded.inputs, planned.loaded.rules, planned.plan);
    std::cout << std::flush;
    return status;
}

} // namespace ckpt::cli
