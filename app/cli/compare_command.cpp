#include "commands.h"

#include "model/atomic_file.h"
#include "model/compare_report.h"
#include "model/fix_proposals.h"
#include "model/rule_config.h"
#include "model/target_architecture.h"

#include <iostream>

namespace ckpt::cli {

int runCompare(const CliArgs &args)
{
    const auto targetPath = args.options.find("--target");
    if (args.positional.size() != 1 || targetPath == args.options.end()) {
        std::cerr << "usage: ckpt compare PATH --target TARGET [--config CFG] [--json] [--suggest OUT.json]\n";
        return Unreadable;
    }
    const std::string &path = args.positional.front();
    RuleSet rules;
    const auto config = args.options.find("--config");
    if (config != args.options.end()) {
        auto loaded = loadConfig(config->second);
        if (!loaded) {
            printError(config->second, loaded.error().message);
            return Unreadable;
        }
        rules = std::move(*loaded);
    }
    auto compiled = CompiledRules::compile(rules);
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
    auto inputs = planInputs(**checkpoint, rules.weights);
    if (!inputs) {
        printError(path, inputs.error().message);
        return Unreadable;
    }
    auto target = loadTarget(targetPath->second);
    if (!target) {
        printError(targetPath->second, target.error().message);
        return Unreadable;
    }
    const Plan plan = (*compiled)->evaluate(*inputs);
    for (const auto &d : plan.diagnostics)
        if (d.severity == Diagnostic::Severity::Error) std::cerr << "ckpt compare: config: " << d.message << "\n";
    const ModuleVersions versions = stateDictVersions(**checkpoint, *inputs);
    const CompareReport report = compareWithTarget(*inputs, plan, rules, *target, versions);
    const std::vector<FixProposal> proposals = proposeFixes(*inputs, rules, *target, versions);
    if (const auto suggest = args.options.find("--suggest"); suggest != args.options.end()) {
        const RuleSet suggested = withProposals(rules, proposals);
        if (auto written = writeFileAtomically(suggest->second, writeRules(suggested, configFormatFor(suggest->second)));
            !written) {
            printError(suggest->second, written.error().message);
            return Unreadable;
        }
    }
    if (args.has("--json")) std::cout << compareJson(report, *target, proposals) << "\n";
    else std::cout << compareText(report, *target, proposals);
    std::cout << std::flush;
    return report.strictOk() ? Ok : Differs;
}

} // namespace ckpt::cli
