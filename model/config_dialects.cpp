#include "config_dialects.h"

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
        if (t.frozen) frozen.insert(t.name);
        for (const auto &g : t.groups) members[g].insert(t.name);
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

std::string emitAnemoiYaml(const std::vector<PlanInput> &inputs, const Plan &plan)
{
    // Per module prefix: how many kept tensors lie below it, and how many of those are frozen.
    std::map<std::string, std::pair<size_t, size_t>> modules;
    std::vector<std::string> frozenNames;
    for (size_t i = 0; i < inputs.size(); ++i) {
        const TensorPlan &t = plan.tensors[i];
        if (t.dropped) continue;
        if (t.frozen) frozenNames.push_back(t.name);
        for (size_t dot = t.name.find('.'); dot != std::string::npos; dot = t.name.find('.', dot + 1)) {
            auto &[total, frozen] = modules[t.name.substr(0, dot)];
            ++total;
            frozen += t.frozen;
        }
    }
    std::vector<std::string> whole, alone;
    for (const auto &name : frozenNames) {
        // The outermost module of this tensor that is frozen whole, if any.
        std::string chosen;
        for (size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', dot + 1)) {
            const auto &[total, frozen] = modules[name.substr(0, dot)];
            if (total == frozen) {
                chosen = name.substr(0, dot);
                break;
            }
        }
        if (chosen.empty()) alone.push_back(name);
        else if (whole.empty() || whole.back() != chosen) whole.push_back(chosen);
    }
    std::sort(whole.begin(), whole.end());
    whole.erase(std::unique(whole.begin(), whole.end()), whole.end());
    std::ostringstream y;
    y << "# anemoi-training: freezing resolved by Checkpoint Studio\n"
         "training:\n"
         "  model_modifier:\n"
         "    modifiers:\n"
         "      - _target_: anemoi.training.train.modify.FreezingModelModifier\n"
         "        submodules_to_freeze:\n";
    for (const auto &m : whole) y << "          - " << pyString(m) << "\n";
    if (whole.empty()) y << "          []\n";
    if (!alone.empty()) {
        y << "# Frozen tensors whose module is not frozen whole (FreezingModelModifier freezes\n"
             "# modules, so these are not expressed above):\n";
        for (const auto &n : alone) y << "#   " << n << "\n";
    }
    return y.str();
}

} // namespace ckpt
