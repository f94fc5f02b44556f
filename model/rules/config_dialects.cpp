#include "model/rules/config_dialects.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

namespace ckpt {
namespace {

std::string pyString(const std::string &s)
{
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

} // namespace

std::string emitPythonFunction(const std::vector<PlanInput> &inputs, const RuleSet &rules,
                               const Plan &plan, const std::string &configName)
{
    std::set<std::string> frozen;
    std::map<std::string, std::set<std::string>> members;
    for (size_t i = 0; i < inputs.size(); ++i) {
        const TensorPlan &t = plan.tensors[i];
        if (t.dropped) continue;
        if (t.frozen) frozen.emplace(t.name);
        for (const auto &g : t.groups) members[g].emplace(t.name);
    }
    std::ostringstream py;
    py << "\"\"\"Freeze rules and parameter groups from " << configName
       << ", resolved by Checkpoint Studio.\n\n"
          "    import torch\n"
          "    groups = apply_rules(model, lr=1e-3)\n"
          "    optimizer = torch.optim.AdamW(groups)\n"
          "\"\"\"\n\n"
          "FROZEN = frozenset({\n";
    for (const auto &n : frozen) py << "    " << pyString(n) << ",\n";
    py << "})\n\nGROUPS = [\n";
    std::set<std::string> done;
    for (const auto &r : rules.rules) {
        if (r.action != Rule::Action::Group || !done.insert(r.group).second) continue;
        py << "    (" << pyString(r.group) << ", " << r.options << ", [\n";
        for (const auto &n : members[r.group]) py << "        " << pyString(n) << ",\n";
        py << "    ]),\n";
    }
    py << "]\n\n\n"
          "def apply_rules(model, **base_options):\n"
          "    \"\"\"Sets requires_grad on every parameter and returns parameter groups: one per\n"
          "    group rule (its options over base_options), then the remaining trainable ones.\"\"\"\n"
          "    params = dict(model.named_parameters())\n"
          "    known = set(params) | {name for name, _ in model.named_buffers()}\n"
          "    missing = sorted(FROZEN - known)\n"
          "    if missing:\n"
          "        raise KeyError(f\"{len(missing)} frozen names are not in the model, e.g. {missing[:3]}\")\n"
          "    for name, p in params.items():\n"
          "        p.requires_grad_(name not in FROZEN)\n"
          "    groups, taken = [], set()\n"
          "    for group, options, names in GROUPS:\n"
          "        chosen = [n for n in names if n in params and params[n].requires_grad and n not in taken]\n"
          "        taken.update(chosen)\n"
          "        if chosen:\n"
          "            groups.append({**base_options, **options, \"params\": [params[n] for n in chosen],\n"
          "                           \"name\": group})\n"
          "    rest = [p for n, p in params.items() if p.requires_grad and n not in taken]\n"
          "    if rest:\n"
          "        groups.append({**base_options, \"params\": rest, \"name\": \"default\"})\n"
          "    return groups\n";
    return py.str();
}

NameCover coverNames(const std::vector<std::string> &all, const std::vector<bool> &selected)
{
    // Per module prefix: how many names lie below it, and how many of those are selected.
    std::map<std::string, std::pair<size_t, size_t>> modules;
    for (size_t i = 0; i < all.size(); ++i)
        for (size_t dot = all[i].find('.'); dot != std::string::npos; dot = all[i].find('.', dot + 1)) {
            auto &[total, chosen] = modules[all[i].substr(0, dot)];
            ++total;
            chosen += selected[i];
        }
    NameCover cover;
    for (size_t i = 0; i < all.size(); ++i) {
        if (!selected[i]) continue;
        const std::string &name = all[i];
        std::string outermost; // the outermost module of this name that is selected whole
        for (size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', dot + 1)) {
            const auto &[total, chosen] = modules[name.substr(0, dot)];
            if (total == chosen) {
                outermost = name.substr(0, dot);
                break;
            }
        }
        if (outermost.empty()) cover.names.push_back(name);
        else cover.modules.push_back(outermost);
    }
    for (auto *v : {&cover.modules, &cover.names}) {
        std::sort(v->begin(), v->end());
        v->erase(std::unique(v->begin(), v->end()), v->end());
    }
    return cover;
}

namespace {

/// Final names of the kept tensors and which of them have a property.
struct KeptNames
{
    std::vector<std::string> names;
    std::vector<bool> selected;
};

template <class Pred>
KeptNames kept(const std::vector<PlanInput> &inputs, const Plan &plan, Pred pred)
{
    KeptNames k;
    for (size_t i = 0; i < inputs.size(); ++i) {
        if (plan.tensors[i].dropped) continue;
        k.names.emplace_back(plan.tensors[i].name);
        k.selected.push_back(pred(plan.tensors[i]));
    }
    return k;
}

/// fnmatch treats * ? [ as special: a literal name must bracket them.
std::string fnmatchLiteral(const std::string &name)
{
    std::string out;
    for (char c : name) {
        if (c == '*' || c == '?' || c == '[') out += std::string("[") + c + "]";
        else out += c;
    }
    return out;
}

std::string tomlString(const std::string &s) { return pyString(s); }

bool isBufferName(const std::string &name)
{
    for (const char *suffix : {"running_mean", "running_var", "num_batches_tracked", "relative_position_index"})
        if (name.ends_with(suffix)) return true;
    return false;
}

} // namespace

std::string emitAnemoiYaml(const std::vector<PlanInput> &inputs, const Plan &plan)
{
    const KeptNames k = kept(inputs, plan, [](const TensorPlan &t) { return t.frozen; });
    const NameCover cover = coverNames(k.names, k.selected);
    std::ostringstream y;
    y << "# anemoi-training: freezing resolved by Checkpoint Studio\n"
         "training:\n"
         "  model_modifier:\n"
         "    modifiers:\n"
         "      - _target_: anemoi.training.train.modify.FreezingModelModifier\n"
         "        submodules_to_freeze:\n";
    for (const auto &m : cover.modules) y << "          - " << pyString(m) << "\n";
    if (cover.modules.empty()) y << "          []\n";
    if (!cover.names.empty()) {
        y << "# Frozen tensors whose module is not frozen whole (FreezingModelModifier freezes\n"
             "# modules, so these are not expressed above):\n";
        for (const auto &n : cover.names) y << "#   " << n << "\n";
    }
    return y.str();
}

std::string emitKempnerForgeToml(const std::vector<PlanInput> &inputs, const Plan &plan)
{
    const KeptNames k = kept(inputs, plan, [](const TensorPlan &t) { return t.frozen; });
    const NameCover cover = coverNames(k.names, k.selected);
    std::vector<std::string> patterns;
    for (const auto &m : cover.modules) patterns.push_back(fnmatchLiteral(m) + ".*");
    for (const auto &n : cover.names) patterns.push_back(fnmatchLiteral(n));
    std::sort(patterns.begin(), patterns.end());
    std::ostringstream t;
    t << "# KempnerForge freeze specs (fnmatch over parameter names), resolved by Checkpoint Studio\n"
         "freeze = [\n";
    for (const auto &p : patterns) t << "  { module = " << tomlString(p) << ", frozen = true },\n";
    t << "]\n";
    return t.str();
}

std::string emitLinnaeusYaml(const std::vector<PlanInput> &inputs, const RuleSet &rules, const Plan &plan)
{
    // Drops are named as the checkpoint names them (before renames).
    std::vector<std::string> sourceNames;
    std::vector<bool> dropped;
    for (size_t i = 0; i < inputs.size(); ++i) {
        sourceNames.push_back(inputs[i].name);
        dropped.push_back(plan.tensors[i].dropped);
    }
    const NameCover drops = coverNames(sourceNames, dropped);
    std::vector<std::string> dropParams, dropBuffers;
    for (const auto &m : drops.modules) dropParams.push_back(m + ".");
    for (const auto &n : drops.names) (isBufferName(n) ? dropBuffers : dropParams).push_back(n);
    bool modulePrefix = false;
    for (const auto &r : rules.rules)
        if (r.enabled && r.action == Rule::Action::Rename &&
            (r.prefix == "module." || r.regex.starts_with("^module\\.")))
            modulePrefix = true;
    std::ostringstream y;
    auto list = [&](const std::vector<std::string> &v) {
        std::string out = "[";
        for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + pyString(v[i]);
        return out + "]";
    };
    auto filter = [&](const std::string &title, const NameCover &c, const char *indent) {
        std::vector<std::string> patterns;
        for (const auto &m : c.modules) patterns.push_back(m + ".");
        for (const auto &n : c.names) patterns.push_back(n);
        y << indent << title << ":\n"
          << indent << "  TYPE: \"or\"\n"
          << indent << "  FILTERS:\n"
          << indent << "    - TYPE: \"name\"\n"
          << indent << "      MATCH_TYPE: \"startswith\"\n"
          << indent << "      PATTERNS: " << list(patterns) << "\n";
    };
    y << "# linnaeus: checkpoint handling and parameter filters, resolved by Checkpoint Studio\n"
         "pretrained_ckpt_handling_metadata:\n"
      << "  drop_params: " << list(dropParams) << "\n"
      << "  drop_buffers: " << list(dropBuffers) << "\n"
      << "  supports_module_prefix: " << (modulePrefix ? "true" : "false") << "\n"
      << "  strict: " << (std::none_of(dropped.begin(), dropped.end(), [](bool d) { return d; }) ? "true" : "false")
      << "\n"
         "filters:\n";
    const KeptNames frozen = kept(inputs, plan, [](const TensorPlan &t) { return t.frozen; });
    filter("frozen", coverNames(frozen.names, frozen.selected), "  ");
    std::set<std::string> done;
    for (const auto &r : rules.rules) {
        if (r.action != Rule::Action::Group || !done.insert(r.group).second) continue;
        const std::string group = r.group;
        const KeptNames k = kept(inputs, plan, [&](const TensorPlan &t) {
            return std::find(t.groups.begin(), t.groups.end(), group) != t.groups.end();
        });
        filter(group, coverNames(k.names, k.selected), "  ");
    }
    return y.str();
}

} // namespace ckpt
