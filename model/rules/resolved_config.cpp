#include "model/rules/rule_config.h"

#include "model/rules/config_fields.h"
#include "model/rules/rule_sources.h"

#include <filesystem>
#include <map>
#include <set>

// The config written for training code to audit: the rules, the checkpoints' identities and
// the resolved result.
namespace ckpt {

using namespace config;

std::string writeConfig(const RuleSet &rules, const Checkpoint &source, const std::string &sourcePath,
                        const std::vector<PlanInput> &inputs, const Plan &plan, ConfigFormat format)
{
    json j = rulesJson(rules);
    j["source"] = {{"name", std::filesystem::path(sourcePath).filename().string()},
                   {"size", source.totalFileSize()},
                   {"tensors", inputs.size()},
                   {"listing_hash", listingHash(inputs)}};
    // Every other checkpoint the rules read, with what identifies it: the result can be rebuilt.
    if (!rules.sources.empty()) {
        json identities = json::object();
        if (auto opened = RuleSources::open(rules))
            for (const auto &o : opened->all())
                identities[o.name] = {{"path", o.path},
                                      {"size", o.checkpoint->totalFileSize()},
                                      {"tensors", o.inputs.size()},
                                      {"listing_hash", listingHash(o.inputs)}};
        j["source"]["sources"] = identities;
        // Written beside the output, the config names its sources where they are.
        for (const auto &src : rules.sources) {
            std::filesystem::path path(src.path);
            if (path.is_relative() && !rules.folder.empty()) path = std::filesystem::path(rules.folder) / path;
            const std::string absolute = std::filesystem::absolute(path).lexically_normal().string();
            json &entry = j["sources"][src.name];
            if (entry.is_object()) entry["path"] = absolute;
            else entry = absolute;
        }
    }
    std::set<std::string> frozen, dropped;
    std::map<std::string, std::string> renamed, cast;
    std::map<std::string, std::set<std::string>> members;
    for (size_t i = 0; i < inputs.size(); ++i) {
        const TensorPlan &t = plan.tensors[i];
        if (t.dropped) {
            if (t.consumedBy < 0) dropped.insert(inputs[i].name); // else made part of another (resolved.made)
            continue;
        }
        if (t.frozen) frozen.emplace(t.name);
        if (t.name != inputs[i].name) renamed[inputs[i].name] = std::string(t.name);
        if (t.dtype != inputs[i].dtype) cast[std::string(t.name)] = std::string(dtypeName(t.dtype));
        for (const auto &g : t.groups) members[g].emplace(t.name);
    }
    for (const auto &a : plan.added) {
        if (a.frozen) frozen.insert(a.name);
        for (const auto &g : a.groups) members[g].insert(a.name);
    }
    json groups = json::object();
    for (const auto &r : rules.rules) {
        if (r.action != Rule::Action::Group || groups.contains(r.group)) continue;
        groups[r.group] = {{"options", json::parse(r.options)}, {"members", members[r.group]}};
    }
    j["resolved"] = {{"frozen", frozen}, {"dropped", dropped}, {"renamed", renamed},
                     {"groups", groups}, {"cast", cast}};
    if (plan.recipes) {
        json made = json::object();
        for (const auto &a : plan.added)
            made[a.name] = recipeText(plan.recipes.get(), a.recipe, a.rule, rules);
        j["resolved"]["made"] = made;
        json used = json::object();
        for (size_t i = 0; i < inputs.size(); ++i)
            if (plan.tensors[i].consumedBy >= 0) used[inputs[i].name] = plan.tensors[i].consumedBy;
        j["resolved"]["used_by_rule"] = used;
    }
    return render(j, format);
}

} // namespace ckpt
