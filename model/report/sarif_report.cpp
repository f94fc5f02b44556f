// `ckpt scan --format sarif`: the findings as SARIF 2.1.0 (OASIS), which code-scanning
// dashboards and CI systems read.
#include "model/report/scan_report.h"

#include <nlohmann/json.hpp>

namespace ckpt {
namespace {

using json = nlohmann::ordered_json;

struct Rule
{
    const char *id;
    const char *name;
    const char *level;
    const char *text;
};

constexpr Rule kRules[] = {
    {"CKPT001", "DangerousGlobal", "error",
     "A pickle names code that acts (runs commands, opens files or sockets, evaluates code): loading runs it."},
    {"CKPT002", "ParserAnomaly", "error",
     "The file can be read two ways (a value straddling a pickle frame, records named alike): the loader "
     "may run what a scanner did not see."},
    {"CKPT003", "CodeNeeded", "warning",
     "Loading needs code outside the data allowlist (project or library classes): it imports and runs it."},
    {"CKPT004", "Unreadable", "note", "The file could not be read whole; what could be read was scanned."},
};

json location(const std::string &path, const GlobalUse *g)
{
    json physical = {{"artifactLocation", {{"uri", path}}}};
    // Offsets are within the pickle; for a plain pickle file that is the file.
    if (g && (g->file == "pickle")) physical["region"] = {{"byteOffset", g->firstOffset}};
    json loc = {{"physicalLocation", physical}};
    if (g && g->file != "pickle") loc["logicalLocations"] = json::array({{{"name", g->file}, {"kind", "member"}}});
    return loc;
}

json result(int rule, const std::string &message, json loc)
{
    return {{"ruleId", kRules[rule].id},
            {"ruleIndex", rule},
            {"level", kRules[rule].level},
            {"message", {{"text", message}}},
            {"locations", json::array({std::move(loc)})}};
}

} // namespace

std::string scanSarif(const std::vector<FileScan> &scans, const std::string &toolVersion)
{
    json rules = json::array();
    for (const Rule &r : kRules)
        rules.push_back({{"id", r.id},
                         {"name", r.name},
                         {"shortDescription", {{"text", r.text}}},
                         {"defaultConfiguration", {{"level", r.level}}}});
    json results = json::array();
    json artifacts = json::array();
    for (const FileScan &s : scans) {
        if (s.verdict() == ScanVerdict::Skipped) continue;
        artifacts.push_back({{"location", {{"uri", s.path}}}});
        for (const auto &g : s.safety.globals)
            if (g.category == GlobalCategory::Dangerous)
                results.push_back(result(0, g.module + "." + g.name + " in " + g.file + ": " + g.reason, location(s.path, &g)));
        for (const auto &a : s.safety.anomalies) results.push_back(result(1, a, location(s.path, nullptr)));
        for (const auto &m : s.neededModules())
            results.push_back(result(2, "loading needs the code of module " + m, location(s.path, nullptr)));
        if (!s.error.empty()) results.push_back(result(3, s.error, location(s.path, nullptr)));
    }
    json run = {{"tool",
                 {{"driver",
                   {{"name", "ckpt scan"},
                    {"version", toolVersion},
                    {"informationUri", "https://github.com/checkpoint-studio/checkpoint-studio"},
                    {"rules", rules}}}}},
                {"artifacts", artifacts},
                {"results", results}};
    json log = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
                {"version", "2.1.0"},
                {"runs", json::array({run})}};
    return log.dump(2, ' ', false, json::error_handler_t::replace);
}

} // namespace ckpt
