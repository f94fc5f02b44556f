#include "model/commands/plan_run.h"

#include "model/report/plan_report.h"
#include "model/rules/config_dialects.h"
#include "model/rules/rule_config.h"

#include <sstream>

namespace ckpt {

Result<PlanRun> runPlan(const std::string &path, const ConfigInput &config, std::optional<int64_t> step)
{
    auto loaded = loadRulesOnWeights(path, config);
    if (!loaded) return loaded.error();
    PlanRun run{std::move(*loaded), {}, path, config.fileName()};
    run.plan = run.loaded.compiled->evaluate(run.loaded.inputs, step);
    return run;
}

std::string planJson(const PlanRun &run)
{
    std::ostringstream out;
    writePlanJson(out, run.loaded.inputs, run.loaded.rules, run.plan);
    return out.str();
}

Result<std::string> emittedConfig(const PlanRun &run, const std::string &format)
{
    const auto &[rules, compiled, checkpoint, inputs] = run.loaded;
    if (format == "json" || format == "yaml")
        return writeConfig(rules, *checkpoint, run.path, inputs, run.plan,
                           format == "json" ? ConfigFormat::Json : ConfigFormat::Yaml);
    if (format == "python") return emitPythonFunction(inputs, rules, run.plan, run.configName);
    if (format == "anemoi") return emitAnemoiYaml(inputs, run.plan, run.path);
    if (format == "kempnerforge") return emitKempnerForgeToml(inputs, run.plan);
    if (format == "linnaeus") return emitLinnaeusYaml(inputs, rules, run.plan);
    return Error{"the config is emitted as json, yaml, python, anemoi, kempnerforge or linnaeus, not '" + format + "'"};
}

} // namespace ckpt
