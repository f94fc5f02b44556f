#include "model/compare/architecture_compare.h"

#include "model/formats/tree_walker.h"


namespace ckpt {

std::string_view statusName(CompareEntry::Status s)
{
    switch (s) {
    case CompareEntry::Status::Match: return "match";
    case CompareEntry::Status::ShapeMismatch: return "shape_mismatch";
    case CompareEntry::Status::DtypeDiffers: return "dtype_differs";
    case CompareEntry::Status::Missing: return "missing";
    case CompareEntry::Status::Unexpected: return "unexpected";
    }
    return "?";
}

std::string CompareReport::verdict() const
{
    if (strictOk())
        return "strict load would succeed" +
               (dtypeDiffers ? " (" + std::to_string(dtypeDiffers) + " tensors change dtype on load)" : std::string());
    return "strict load would fail: " + std::to_string(missing) + " missing, " + std::to_string(unexpected) +
           " unexpected, " + std::to_string(shapeMismatches) + " shape mismatches";
}

ModuleVersions stateDictVersions(const Checkpoint &c, const std::vector<PlanInput> &inputs)
{
    ModuleVersions out;
    if (inputs.empty()) return out;
    const Value *dict = c.root();
    for (size_t i = 0; dict && i + 1 < inputs.front().path.size(); ++i) dict = childAt(dict, inputs.front().path[i]);
    if (!dict || !dict->state) return out;
    const Value *metadata = childAt(dict->state, PathElement(std::string("_metadata")));
    if (!metadata || metadata->kind != ValueKind::Dict) return out;
    for (size_t k = 0; k + 1 < metadata->items.size(); k += 2) {
        const Value *module = metadata->items[k];
        const Value *entry = metadata->items[k + 1];
        if (module->kind != ValueKind::String || !entry || entry->kind != ValueKind::Dict) continue;
        const Value *version = childAt(entry, PathElement(std::string("version")));
        if (version && version->kind == ValueKind::Int) out.emplace(std::string(module->text), version->integer);
    }
    return out;
}

CompareReport compareWithTarget(const std::vector<PlanInput> &inputs, const Plan &plan, const RuleSet &rules,
                                const TargetArchitecture &target, const ModuleVersions &versions)
{
    CompareReport report;
    const auto &byName = target.byName;
    std::vector<bool> seen(target.tensors.size(), false);

    auto judge = [&](CompareEntry e) {
        const auto it = byName.find(e.name);
        if (it == byName.end()) {
            e.status = CompareEntry::Status::Unexpected;
            ++report.unexpected;
        } else {
            const TargetTensor &t = target.tensors[it->second];
            seen[it->second] = true;
            e.target = int(it->second);
            e.targetShape = t.shape;
            e.targetDtype = t.dtype;
            // load_state_dict accepts a one-element [1] for a scalar parameter (0.3 files).
            const bool shapeOk = e.checkpointShape == t.shape ||
                                 (t.shape.empty() && e.checkpointShape == std::vector<int64_t>{1});
            if (!shapeOk) {
                e.status = CompareEntry::Status::ShapeMismatch;
                ++report.shapeMismatches;
            } else if (t.dtype != DType::Unknown && e.checkpointDtype != t.dtype) {
                e.status = CompareEntry::Status::DtypeDiffers;
                ++report.dtypeDiffers;
            } else {
                e.status = CompareEntry::Status::Match;
                ++report.matches;
            }
        }
        report.entries.push_back(std::move(e));
    };
    for (size_t i = 0; i < inputs.size(); ++i) {
        const TensorPlan &t = plan.tensors[i];
        if (t.dropped) continue;
        CompareEntry e;
        e.name = t.name;
        e.input = int(i);
        e.checkpointShape = plannedShape(inputs, plan, rules, i);
        e.checkpointDtype = t.dtype;
        judge(std::move(e));
    }
    for (size_t k = 0; k < plan.added.size(); ++k) {
        CompareEntry e;
        e.name = plan.added[k].name;
        e.added = int(k);
        e.checkpointShape = plan.added[k].shape;
        e.checkpointDtype = plan.added[k].dtype;
        judge(std::move(e));
    }
    for (size_t i = 0; i < target.tensors.size(); ++i) {
        if (seen[i]) continue;
        const TargetTensor &t = target.tensors[i];
        // BatchNorm._load_from_state_dict: a state dict older than version 2 gets
        // num_batches_tracked = 0 (a BatchNorm that tracks running stats has running_mean).
        if (t.name == "num_batches_tracked" || t.name.ends_with(".num_batches_tracked")) {
            const std::string module = t.name.size() > 19 ? t.name.substr(0, t.name.size() - 20) : std::string();
            const auto v = versions.find(module);
            if ((v == versions.end() || v->second < 2) &&
                byName.contains(module.empty() ? std::string("running_mean") : module + ".running_mean")) {
                report.defaulted.push_back(t.name);
                continue;
            }
        }
        CompareEntry e;
        e.status = CompareEntry::Status::Missing;
        e.name = t.name;
        e.target = int(i);
        e.targetShape = t.shape;
        e.targetDtype = t.dtype;
        report.entries.push_back(std::move(e));
        ++report.missing;
    }
    return report;
}

std::vector<const CompareEntry *> entriesWithStatus(const CompareReport &r, CompareEntry::Status status)
{
    std::vector<const CompareEntry *> out;
    for (const auto &e : r.entries)
        if (e.status == status) out.push_back(&e);
    return out;
}

} // namespace ckpt
