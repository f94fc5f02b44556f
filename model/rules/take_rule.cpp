#include "model/rules/take_rule.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace ckpt {

Rule takeRule(const std::string &from, const std::string &name, bool module, const std::string &destination)
{
    Rule r;
    r.action = Rule::Action::Take;
    r.from = from;
    r.match = textMatcher(module ? Matcher::Kind::Module : Matcher::Kind::Name, name);
    if (!destination.empty()) {
        const size_t dot = name.rfind('.');
        const std::string last = dot == std::string::npos ? name : name.substr(dot + 1);
        r.prefix = name;
        r.to = destination + "." + last;
    }
    return r;
}

std::string sourceNameFor(const std::string &path, const RuleSet &rules)
{
    std::string stem = std::filesystem::path(path).filename().string();
    for (const char *ext : {".safetensors", ".index.json", ".ckpt", ".pth", ".pt", ".bin", ".json"})
        if (stem.size() > std::string_view(ext).size() && stem.ends_with(ext)) stem.resize(stem.size() - std::string_view(ext).size());
    std::string base;
    for (char c : stem) base += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    if (base.empty() || base == "self") base = "source";
    auto taken = [&](const std::string &n) {
        return std::any_of(rules.sources.begin(), rules.sources.end(), [&](const RuleSource &s) { return s.name == n; });
    };
    std::string name = base;
    for (int k = 2; taken(name); ++k) name = base + "_" + std::to_string(k);
    return name;
}

} // namespace ckpt
