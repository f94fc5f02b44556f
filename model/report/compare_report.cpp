#include "model/report/compare_report.h"

#include "model/checkpoint/checkpoint_summary.h"
#include "model/rules/rule_config.h"
#include "model/base/terminal_text.h"

#include <nlohmann/json.hpp>

#include <sstream>

namespace ckpt {
namespace {

using json = nlohmann::ordered_json;

std::string_view sourceName(TargetArchitecture::Source s)
{
    switch (s) {
    case TargetArchitecture::Source::Checkpoint: return "checkpoint";
    case TargetArchitecture::Source::TorchScript: return "torchscript";
    case TargetArchitecture::Source::Manifest: return "manifest";
    }
    return "?";
}

} // namespace

std::string compareJson(const CompareReport &r, const TargetArchitecture &target,
                        const std::vector<FixProposal> &proposals, const Kinship &kinship)
{
    json j;
    j["target"] = target.path;
    j["target_source"] = sourceName(target.source);
    j["strict_ok"] = r.strictOk();
    j["verdict"] = kinship.differentModels() ? kinship.verdict() + "; " + r.verdict() : r.verdict();
    j["different_models"] = kinship.differentModels();
    j["kinship"] = {{"counterparts", kinship.counterparts},
                    {"checkpoint_tensors", kinship.checkpointTensors},
                    {"target_tensors", kinship.targetTensors}};
    j["counts"] = {{"match", r.matches},        {"shape_mismatch", r.shapeMismatches}, {"dtype_differs", r.dtypeDiffers},
                   {"missing", r.missing},      {"unexpected", r.unexpected}};
    json missing = json::array(), unexpected = json::array(), mismatched = json::array(), dtypes = json::array();
    for (const auto &e : r.entries) {
        switch (e.status) {
        case CompareEntry::Status::Missing: missing.push_back(e.name); break;
        case CompareEntry::Status::Unexpected: unexpected.push_back(e.name); break;
        case CompareEntry::Status::ShapeMismatch:
            mismatched.push_back({{"name", e.name}, {"checkpoint_shape", e.checkpointShape}, {"target_shape", e.targetShape}});
            break;
        case CompareEntry::Status::DtypeDiffers:
            dtypes.push_back({{"name", e.name},
                              {"checkpoint_dtype", std::string(dtypeName(e.checkpointDtype))},
                              {"target_dtype", std::string(dtypeName(e.targetDtype))}});
            break;
        case CompareEntry::Status::Match: break;
        }
    }
    j["missing"] = missing;
    j["unexpected"] = unexpected;
    j["mismatched"] = mismatched;
    j["dtype_differs"] = dtypes;
    j["defaulted"] = r.defaulted;
    json props = json::array();
    for (const auto &p : proposals) {
        json rules = json::array();
        for (const auto &rule : p.rules) rules.push_back(json::parse(ruleToJson(rule)));
        props.push_back({{"kind", proposalKindName(p.kind)}, {"confidence", p.confidence}, {"reason", p.reason}, {"rules", rules}});
    }
    j["proposals"] = props;
    return j.dump(2);
}

std::string compareText(const CompareReport &r, const TargetArchitecture &target,
                        const std::vector<FixProposal> &proposals, const Kinship &kinship)
{
    std::ostringstream out;
    out << "target: " << target.path << " (" << sourceName(target.source) << ", " << target.tensors.size()
        << " tensors)\n";
    if (kinship.differentModels()) out << kinship.verdict() << "\n";
    out << r.verdict() << "\n";
    out << "  " << r.matches << " match, " << r.dtypeDiffers << " dtype differs, " << r.shapeMismatches
        << " shape mismatches, " << r.missing << " missing, " << r.unexpected << " unexpected\n";
    auto section = [&](CompareEntry::Status status, const char *title) {
        bool first = true;
        for (const auto &e : r.entries) {
            if (e.status != status) continue;
            if (first) out << title << "\n";
            first = false;
            out << "  " << terminalText(e.name);
            if (status == CompareEntry::Status::ShapeMismatch)
                out << "  checkpoint " << shapeText(e.checkpointShape) << ", target " << shapeText(e.targetShape);
            if (status == CompareEntry::Status::DtypeDiffers)
                out << "  checkpoint " << dtypeName(e.checkpointDtype) << ", target " << dtypeName(e.targetDtype);
            if (status == CompareEntry::Status::Missing) out << "  " << shapeText(e.targetShape);
            out << "\n";
        }
    };
    section(CompareEntry::Status::Missing, "missing (the target has them, the checkpoint does not)");
    section(CompareEntry::Status::Unexpected, "unexpected (the checkpoint has them, the target does not)");
    section(CompareEntry::Status::ShapeMismatch, "shape mismatches");
    section(CompareEntry::Status::DtypeDiffers, "dtype differs (load_state_dict converts)");
    if (!r.defaulted.empty())
        out << r.defaulted.size() << " num_batches_tracked buffers absent: PyTorch sets them to 0 (no version-2 metadata)\n";
    if (!proposals.empty()) out << "proposed fixes (ckpt compare --suggest OUT.json writes them as a config)\n";
    for (const auto &p : proposals) {
        char confidence[16];
        std::snprintf(confidence, sizeof confidence, "%.0f%%", p.confidence * 100);
        out << "  [" << proposalKindName(p.kind) << ", " << confidence << "] " << p.reason << "\n";
    }
    return out.str();
}

} // namespace ckpt
