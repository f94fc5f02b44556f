#include "commands.h"
#include "rules_on_weights.h"

#include "model/base/atomic_file.h"
#include "model/report/compare_report.h"
#include "model/compare/fix_proposals.h"
#include "model/rules/rule_config.h"
#include "model/rules/target_architecture.h"

#include <iostream>

namespace ckpt::cli {

int runCompare(const CliArgs &args)
{
    const auto targetPath = args.options.find("--target");
    if (args.positional.size() != 1 || targetPath == args.options.end()) {
        std::cerr << "usage: ckpt compare PATH --target TARGET [--config CFG] [--json] [--suggest OUT.json]\n";
        return Unreadable;
    }
    const auto config = args.options.find("--config");
    auto loaded = loadRulesOnWeights(args.positional.front(), config == args.options.end() ? nullptr : &config->second);
    if (!loaded) return Unreadable;
    const RuleSet &rules = loaded->rules;
    const std::vector<PlanInput> &inputs = loaded->inputs;
    auto target = loadTarget(targetPath->second);
    if (!target) {
        printError(targetPath->second, target.error().message);
        return Unreadable;
    }
    const Plan plan = loaded->compiled->evaluate(inputs);
    for (const auto &d : plan.diagnostics)
        if (d.severity == Diagnostic::Severity::Error) std::cerr << "ckpt compare: config: " << d.message << "\n";
    const ModuleVersions versions = stateDictVersions(*loaded->checkpoint, inputs);
    const CompareReport report = compareWithTarget(inputs, plan, rules, *target, versions);
    Kinship kinship;
    const std::vector<FixProposal> proposals = proposeFixes(inputs, rules, plan, report, *target, versions, &kinship);
    if (const auto suggest = args.options.find("--suggest"); suggest != args.options.end()) {
        const RuleSet suggested = withProposals(rules, proposals);
        if (auto written = writeFileAtomically(suggest->second, writeRules(suggested, configFormatFor(suggest->second)));
            !written) {
            printError(suggest->second, written.error().message);
            return Unreadable;
        }
    }
    if (args.has("--json")) std::cout << compareJson(report, *target, proposals, kinship) << "\n";
    else std::cout << compareText(report, *target, proposals, kinship);
    std::cout << std::flush;
    return report.strictOk() ? Ok : Differs;
}

} // namespace ckpt::cli
