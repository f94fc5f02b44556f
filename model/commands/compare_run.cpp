#include "model/commands/compare_run.h"

#include "model/report/compare_report.h"

namespace ckpt {

Result<CompareRun> runCompare(const std::string &path, const ConfigInput &config, const std::string &targetPath)
{
    auto loaded = loadRulesOnWeights(path, config);
    if (!loaded) return loaded.error();
    auto target = loadTarget(targetPath);
    if (!target) return Error{target.error().message, targetPath};
    CompareRun run{std::move(*loaded), std::move(*target), {}, {}, {}, {}, {}};
    const auto &[rules, compiled, checkpoint, inputs] = run.loaded;
    run.plan = compiled->evaluate(inputs);
    for (const auto &d : run.plan.diagnostics)
        if (d.severity == Diagnostic::Severity::Error) run.configErrors.push_back(d.message);
    const ModuleVersions versions = stateDictVersions(*checkpoint, inputs);
    run.report = compareWithTarget(inputs, run.plan, rules, run.target, versions);
    run.proposals = proposeFixes(inputs, rules, run.plan, run.report, run.target, versions, &run.kinship);
    return run;
}

std::string compareRunJson(const CompareRun &run)
{
    return compareJson(run.report, run.target, run.proposals, run.kinship);
}

RuleSet suggestedRules(const CompareRun &run)
{
    return withProposals(run.loaded.rules, run.proposals);
}

} // namespace ckpt
