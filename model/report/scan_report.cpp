#include "model/report/scan_report.h"

#include "model/base/terminal_text.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <sstream>

namespace ckpt {
namespace {

using json = nlohmann::ordered_json;

std::string pad(std::string s, size_t width) { return padToWidth(std::move(s), width); }

json verdictJson(const WeightsOnlyVerdict &v)
{
    return {{"applicable", v.applicable}, {"ok", v.applicable && v.ok}, {"blockers", v.blockers}};
}

bool readAsCheckpoint(const FileScan &s)
{
    return s.error.empty() && s.members.empty() && s.format != "zip" && s.format != "npz" &&
           s.format != "npy" && s.format != "skipped";
}

std::string joined(const std::vector<std::string> &items)
{
    std::string out;
    for (const auto &i : items) out += (out.empty() ? "" : ", ") + i;
    return out;
}

void fileText(std::ostringstream &out, const FileScan &s)
{
    const ScanVerdict verdict = s.verdict();
    if (verdict == ScanVerdict::Skipped) {
        out << "file        " << terminalText(s.path) << " (skipped: not a format that holds code)\n";
        return;
    }
    out << "file        " << terminalText(s.path);
    if (!s.error.empty()) out << " (unreadable: " << terminalText(s.error) << ")\n";
    else out << " (" << s.format << ")\n";
    if (!s.members.empty()) out << "pickles     " << terminalText(joined(s.members)) << "\n";
    if (s.safety.globals.empty() && s.error.empty())
        out << "globals     none (no pickle, or a pickle that names no code)\n";
    for (auto category : {GlobalCategory::Dangerous, GlobalCategory::Unknown, GlobalCategory::SafeContainer,
                          GlobalCategory::TensorRebuild}) {
        for (const auto &g : s.safety.globals) {
            if (g.category != category) continue;
            out << pad(std::string(categoryName(category)), 15) << pad(terminalText(g.module + "." + g.name), 48)
                << " x" << g.count << " in " << terminalText(g.file) << (s.error.empty() ? "" : " before the error")
                << "  (" << g.reason << ")\n";
        }
    }
    for (const auto &a : s.safety.anomalies) out << "anomaly     " << terminalText(a) << "\n";
    for (const auto &w : s.warnings) out << "warning     " << terminalText(w) << "\n";
    const auto needed = s.neededModules();
    if (!needed.empty())
        out << "needs code  " << terminalText(joined(needed)) << " (loading imports and runs it)\n";
    if (readAsCheckpoint(s)) {
        out << "weights_only=True  torch 1.13: " << weightsOnlyText(s.safety.torch113) << "\n";
        out << "weights_only=True  torch >= 2.6: " << weightsOnlyText(s.safety.torch2) << "\n";
    }
    out << "verdict     ";
    switch (verdict) {
    case ScanVerdict::Dangerous:
        out << (s.safety.globals.empty() || std::none_of(s.safety.globals.begin(), s.safety.globals.end(), [](auto &g) {
                    return g.category == GlobalCategory::Dangerous;
                })
                    ? "DANGEROUS: it can be read two ways, and the loader may run what this scan did not see"
                    : "DANGEROUS: loading this file would run code from it");
        break;
    case ScanVerdict::NeedsCode:
        out << "needs code: loading runs the code of the modules above (nothing known to act; --strict "
               "refuses)";
        break;
    case ScanVerdict::Unreadable: out << "unreadable (nothing dangerous in what could be read)"; break;
    default: out << "nothing dangerous found (nothing was run to find out)";
    }
    out << "\n";
}

json fileJson(const FileScan &s)
{
    json j;
    j["file"] = s.path;
    if (!s.format.empty()) j["format"] = s.format;
    if (!s.error.empty()) j["error"] = s.error;
    j["dangerous"] = s.safety.dangerous;
    j["verdict"] = verdictName(s.verdict());
    json globals = json::array();
    for (const auto &g : s.safety.globals)
        globals.push_back({{"module", g.module}, {"name", g.name}, {"category", categoryName(g.category)},
                           {"reason", g.reason}, {"count", g.count}, {"file", g.file}, {"offset", g.firstOffset}});
    j["globals"] = globals;
    j["anomalies"] = s.safety.anomalies;
    j["needed_modules"] = s.neededModules();
    if (!s.members.empty()) j["pickles"] = s.members;
    if (!s.warnings.empty()) j["warnings"] = s.warnings;
    if (readAsCheckpoint(s))
        j["weights_only"] = {{"torch_1_13", verdictJson(s.safety.torch113)}, {"torch_2_6", verdictJson(s.safety.torch2)}};
    return j;
}

std::string dump(const json &j)
{
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

} // namespace

std::string weightsOnlyText(const WeightsOnlyVerdict &v)
{
    if (!v.applicable) return "not a torch.load file";
    if (v.ok) return "accepted";
    std::string out = "refused (";
    for (size_t i = 0; i < v.blockers.size() && i < 4; ++i) out += (i ? "; " : "") + v.blockers[i];
    if (v.blockers.size() > 4) out += "; +" + std::to_string(v.blockers.size() - 4) + " more";
    return out + ")";
}

std::string scanText(const std::vector<FileScan> &scans, const std::string &path)
{
    std::ostringstream out;
    std::map<ScanVerdict, size_t> counts;
    for (size_t i = 0; i < scans.size(); ++i) {
        if (i) out << "\n";
        fileText(out, scans[i]);
        ++counts[scans[i].verdict()];
    }
    if (scans.size() != 1) {
        out << (scans.empty() ? "" : "\n") << "summary     " << terminalText(path) << ": " << scans.size() << " files";
        for (const auto &[v, n] : counts) out << ", " << n << " " << verdictName(v);
        out << "\n";
    }
    return out.str();
}

std::string scanJson(const std::vector<FileScan> &scans, const std::string &path, bool folder)
{
    if (!folder && scans.size() == 1) return dump(fileJson(scans.front()));
    json j;
    j["folder"] = path;
    bool dangerous = false;
    json counts = json::object();
    for (auto v : {ScanVerdict::Dangerous, ScanVerdict::NeedsCode, ScanVerdict::Unreadable, ScanVerdict::Data,
                   ScanVerdict::Skipped})
        counts[std::string(verdictName(v))] = 0;
    json files = json::array();
    for (const auto &s : scans) {
        dangerous = dangerous || s.safety.dangerous;
        counts[std::string(verdictName(s.verdict()))] = counts[std::string(verdictName(s.verdict()))].get<int>() + 1;
        files.push_back(fileJson(s));
    }
    j["dangerous"] = dangerous;
    j["counts"] = counts;
    j["files"] = files;
    return dump(j);
}

} // namespace ckpt
