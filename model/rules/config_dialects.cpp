#include "model/rules/config_dialects.h"

#include "model/match/regex.h"

#include <algorithm>
#include <functional>
#include <optional>
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
    for (auto *v : {&cover.modules, &cover.names}) { // first appearance: model order
        std::set<std::string> seen;
        v->erase(std::remove_if(v->begin(), v->end(), [&](const std::string &n) { return !seen.insert(n).second; }),
                 v->end());
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

} // namespace

std::string emitAnemoiYaml(const std::vector<PlanInput> &inputs, const Plan &plan, const std::string &checkpointPath)
{
    const KeptNames k = kept(inputs, plan, [](const TensorPlan &t) { return t.frozen; });
    const NameCover cover = coverNames(k.names, k.selected);
    const bool drops = std::any_of(plan.tensors.begin(), plan.tensors.end(),
                                   [](const TensorPlan &t) { return t.dropped && t.consumedBy < 0; });
    std::ostringstream y;
    y << "# anemoi-training: model modifiers resolved by Checkpoint Studio\n"
         "training:\n"
         "  model_modifier:\n"
         "    modifiers:\n";
    if (drops)
        y << "      # The plan drops names: load the checkpoint leniently (unexpected and missing names\n"
             "      # pass, shape-mismatched ones are skipped), then freeze.\n"
             "      - _target_: anemoi.training.train.modify.TransferLearningModelModifier\n"
             "        checkpoint_path: " << pyString(checkpointPath) << "\n"
             "        strict: false\n"
             "        skip_mismatched: true\n";
    y << "      - _target_: anemoi.training.train.modify.FreezingModelModifier\n"
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

namespace {

/// "^" + the text escaped + `tail`: a regular expression for exactly that name.
std::string anchored(const std::string &text, const char *tail)
{
    std::string out = "^";
    out.append(regexQuoted(text)).append(tail);
    return out;
}

/// A matcher as a linnaeus filter (flow-style YAML), when linnaeus has one that says the same.
std::optional<std::string> linnaeusFilter(const Matcher &m)
{
    auto name = [](const char *type, const std::string &pattern) {
        return std::string("{TYPE: \"name\", MATCH_TYPE: \"") + type + "\", PATTERNS: [" + pyString(pattern) + "]}";
    };
    switch (m.kind) {
    case Matcher::Kind::Ndim: return "{TYPE: \"dimension\", DIMENSIONS: [" + std::to_string(m.ndim) + "]}";
    case Matcher::Kind::Type: return "{TYPE: \"layer_type\", LAYER_TYPES: [" + pyString(m.text) + "]}";
    case Matcher::Kind::Prefix: return name("startswith", m.text);
    case Matcher::Kind::Suffix: return name("endswith", m.text);
    case Matcher::Kind::Name: return name("regex", anchored(m.text, "$"));
    case Matcher::Kind::Module: return name("regex", anchored(m.text, "(\\.|$)"));
    case Matcher::Kind::Regex: return name("regex", m.text);
    case Matcher::Kind::All:
    case Matcher::Kind::Any: {
        std::string out = std::string("{TYPE: \"") + (m.kind == Matcher::Kind::All ? "and" : "or") + "\", FILTERS: [";
        for (size_t i = 0; i < m.children.size(); ++i) {
            const auto child = linnaeusFilter(m.children[i]);
            if (!child) return std::nullopt;
            out += (i ? ", " : "") + *child;
        }
        return out + "]}";
    }
    case Matcher::Kind::Not: {
        const auto child = linnaeusFilter(m.children.front());
        if (!child) return std::nullopt;
        return "{TYPE: \"not\", FILTER: " + *child + "}";
    }
    default: return std::nullopt; // globs, dtypes, shapes, numel ranges, aliases: by name
    }
}

bool usesKindLinnaeusHas(const Matcher &m)
{
    if (m.kind == Matcher::Kind::Ndim || m.kind == Matcher::Kind::Type) return true;
    return std::any_of(m.children.begin(), m.children.end(), usesKindLinnaeusHas);
}

/// The rules' own filters for the tensors rules `selected` choose, when each can be said in
/// linnaeus' filters, one of them asks for a dimension or layer type (otherwise the names say
/// it exactly), and no rename after the first of them changes what a name filter sees.
std::optional<std::vector<std::string>> ruleFilters(const RuleSet &rules, const std::function<bool(const Rule &)> &selected)
{
    std::vector<std::string> out;
    bool dimensionOrType = false;
    size_t first = rules.rules.size();
    for (size_t k = 0; k < rules.rules.size(); ++k) {
        const Rule &r = rules.rules[k];
        if (!r.enabled || !selected(r)) continue;
        if (!r.match) return std::nullopt;
        const auto f = linnaeusFilter(*r.match);
        if (!f) return std::nullopt;
        dimensionOrType = dimensionOrType || usesKindLinnaeusHas(*r.match);
        out.push_back(*f);
        first = std::min(first, k);
    }
    for (size_t k = first; k < rules.rules.size(); ++k)
        if (rules.rules[k].enabled && (rules.rules[k].action == Rule::Action::Rename || isSurgery(rules.rules[k].action)))
            return std::nullopt;
    if (out.empty() || !dimensionOrType) return std::nullopt;
    return out;
}

} // namespace

std::string emitLinnaeusYaml(const std::vector<PlanInput> &inputs, const RuleSet &rules, const Plan &plan)
{
    // Drops are spelled as load_pretrained sees the checkpoint's keys: "module." stripped.
    constexpr std::string_view kModule = "module.";
    std::vector<std::string> sourceNames;
    std::vector<bool> dropped;
    for (size_t i = 0; i < inputs.size(); ++i) {
        const std::string &n = inputs[i].name;
        sourceNames.push_back(n.starts_with(kModule) ? n.substr(kModule.size()) : n);
        dropped.push_back(plan.tensors[i].dropped && plan.tensors[i].consumedBy < 0);
    }
    const NameCover drops = coverNames(sourceNames, dropped);
    // load_pretrained searches each pattern anywhere in a key ("\\b" added unless it ends in
    // "."): anchored, they name exactly these keys.
    std::vector<std::string> dropParams;
    for (const auto &m : drops.modules) dropParams.push_back(anchored(m, "\\."));
    // drop_buffers are matched as substrings ("bn1.running_mean" would drop every block's):
    // buffers go in drop_params too, anchored.
    for (const auto &n : drops.names) dropParams.push_back(anchored(n, "$"));
    bool modulePrefix = false;
    std::vector<std::string> otherPrefixes;
    for (const auto &r : rules.rules) {
        if (!r.enabled || r.action != Rule::Action::Rename || !r.to.empty()) continue;
        std::string stripped = r.prefix;
        if (stripped.empty() && r.regex.starts_with("^") && r.regex.find_first_of("()[]*+?|{}", 1) == std::string::npos) {
            for (size_t c = 1; c < r.regex.size(); ++c)
                if (r.regex[c] != '\\') stripped += r.regex[c];
        }
        if (stripped == kModule) modulePrefix = true;
        else if (!stripped.empty()) otherPrefixes.push_back(stripped);
    }
    std::ostringstream y;
    auto list = [&](const std::vector<std::string> &v) {
        std::string out = "[";
        for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + pyString(v[i]);
        return out + "]";
    };
    auto filter = [&](const std::string &title, const NameCover &c, const std::optional<std::vector<std::string>> &own) {
        y << "  " << title << ":\n"
          << "    TYPE: \"or\"\n"
          << "    FILTERS:\n";
        if (own) {
            for (const auto &f : *own) y << "      - " << f << "\n";
            return;
        }
        std::vector<std::string> patterns;
        for (const auto &m : c.modules) patterns.push_back(m + ".");
        for (const auto &n : c.names) patterns.push_back(n);
        y << "      - TYPE: \"name\"\n"
          << "        MATCH_TYPE: \"startswith\"\n"
          << "        PATTERNS: " << list(patterns) << "\n";
    };
    y << "# linnaeus: checkpoint handling and parameter filters, resolved by Checkpoint Studio.\n"
         "# drop_params and drop_buffers name the checkpoint's keys as load_pretrained sees them\n"
         "# (\"module.\" stripped); the filters name the model's parameters.\n";
    for (const auto &p : otherPrefixes)
        y << "# The rules strip " << pyString(p) << " from the checkpoint's keys; linnaeus strips only \"module.\":\n"
             "# load the checkpoint `ckpt apply` writes, or strip it before load_pretrained.\n";
    y << "pretrained_ckpt_handling_metadata:\n"
      << "  drop_params: " << list(dropParams) << "\n"
      << "  drop_buffers: []\n"
      << "  supports_module_prefix: " << (modulePrefix ? "true" : "false") << "\n"
      << "  strict: " << (std::none_of(dropped.begin(), dropped.end(), [](bool d) { return d; }) ? "true" : "false")
      << "\n"
         "filters:\n";
    const bool unfreezes = !rules.schedule.empty() || std::any_of(rules.rules.begin(), rules.rules.end(), [](const Rule &r) {
        return r.enabled && r.action == Rule::Action::Unfreeze;
    });
    const KeptNames frozen = kept(inputs, plan, [](const TensorPlan &t) { return t.frozen; });
    filter("frozen", coverNames(frozen.names, frozen.selected),
           unfreezes ? std::nullopt : ruleFilters(rules, [](const Rule &r) { return r.action == Rule::Action::Freeze; }));
    std::set<std::string> done;
    for (const auto &r : rules.rules) {
        if (r.action != Rule::Action::Group || !done.insert(r.group).second) continue;
        const std::string group = r.group;
        const KeptNames k = kept(inputs, plan, [&](const TensorPlan &t) {
            return std::find(t.groups.begin(), t.groups.end(), group) != t.groups.end();
        });
        filter(group, coverNames(k.names, k.selected),
               ruleFilters(rules, [&](const Rule &g) { return g.action == Rule::Action::Group && g.group == group; }));
    }
    return y.str();
}

} // namespace ckpt
