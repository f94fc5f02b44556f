#include "model/rules/rule_config.h"

#include "model/rules/config_fields.h"
#include "model/rules/rule_sources.h"

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace ckpt {
namespace {

using namespace config;

DType dtypeField(const json &j, const std::string &field)
{
    const auto d = dtypeFromName(str(j, field));
    if (!d) bad(field, "unknown dtype '" + j.get<std::string>() + "'");
    return *d;
}

Matcher parseMatcher(const json &j, const std::string &field)
{
    Matcher m;
    if (j.is_string()) { // shorthand: a glob
        m.text = j.get<std::string>();
        return m;
    }
    if (!j.is_object() || j.size() != 1) bad(field, "expected an object with one matcher, e.g. {\"glob\": \"encoder.*\"}");
    // Copies, not a structured binding: *j.items().begin() is a temporary proxy, and a
    // reference into it dangles once the statement ends (found by AddressSanitizer).
    const std::string key = j.begin().key();
    const json &v = j.begin().value();
    const std::string sub = field + "." + key;
    static const std::pair<const char *, Matcher::Kind> kTextKinds[] = {
        {"glob", Matcher::Kind::Glob},     {"regex", Matcher::Kind::Regex},
        {"name", Matcher::Kind::Name},     {"prefix", Matcher::Kind::Prefix},
        {"suffix", Matcher::Kind::Suffix}, {"module", Matcher::Kind::Module},
        {"alias", Matcher::Kind::Alias},   {"type", Matcher::Kind::Type}};
    for (const auto &[name, kind] : kTextKinds)
        if (key == name) {
            m.kind = kind;
            m.text = str(v, sub);
            return m;
        }
    if (key == "ndim") {
        m.kind = Matcher::Kind::Ndim;
        m.ndim = integer(v, sub);
    } else if (key == "dtype") {
        m.kind = Matcher::Kind::Dtype;
        m.dtype = dtypeField(v, sub);
    } else if (key == "shape") {
        m.kind = Matcher::Kind::Shape;
        if (!v.is_array()) bad(sub, "expected a list of integers or \"*\"");
        for (size_t i = 0; i < v.size(); ++i) {
            if (v[i].is_string() && v[i].get<std::string>() == "*") m.shape.emplace_back(std::nullopt);
            else m.shape.emplace_back(integer(v[i], sub + "[" + std::to_string(i) + "]"));
        }
    } else if (key == "numel") {
        m.kind = Matcher::Kind::Numel;
        if (!v.is_object()) bad(sub, "expected {\"min\": a, \"max\": b}");
        onlyKeys(v, sub, {"min", "max"});
        if (v.contains("min")) m.min = integer(v["min"], sub + ".min");
        if (v.contains("max")) m.max = integer(v["max"], sub + ".max");
    } else if (key == "all" || key == "any") {
        m.kind = key == "all" ? Matcher::Kind::All : Matcher::Kind::Any;
        if (!v.is_array() || v.empty()) bad(sub, "expected a non-empty list of matchers");
        for (size_t i = 0; i < v.size(); ++i)
            m.children.push_back(parseMatcher(v[i], sub + "[" + std::to_string(i) + "]"));
    } else if (key == "not") {
        m.kind = Matcher::Kind::Not;
        m.children.push_back(parseMatcher(v, sub));
    } else {
        bad(field, "unknown matcher '" + key + "' (glob, regex, name, prefix, suffix, module, ndim, "
                   "dtype, shape, numel, alias, type, all, any, not)");
    }
    return m;
}

std::vector<int64_t> shapeField(const json &j, const std::string &field)
{
    if (!j.contains("shape")) bad(field, "missing \"shape\"");
    const json &v = j["shape"];
    if (!v.is_array()) bad(field + ".shape", "expected a list of sizes");
    std::vector<int64_t> shape;
    int64_t numel = 1;
    for (size_t i = 0; i < v.size(); ++i) {
        shape.push_back(integer(v[i], field + ".shape[" + std::to_string(i) + "]"));
        if (shape.back() < 0 || (shape.back() > 0 && numel > (int64_t(1) << 50) / shape.back()))
            bad(field + ".shape[" + std::to_string(i) + "]", "not a size");
        numel *= shape.back();
    }
    return shape;
}

double stdField(const json &j, const std::string &field)
{
    if (!j.contains("std")) return 0;
    if (!j["std"].is_number() || j["std"].get<double>() < 0) bad(field + ".std", "expected a non-negative number");
    return j["std"].get<double>();
}

Rule parseRule(const json &j, const std::string &field, bool freezeOnly)
{
    if (!j.is_object()) bad(field, "expected an object");
    if (!j.contains("action")) bad(field, "missing \"action\"");
    const std::string &action = str(j["action"], field + ".action");
    Rule r;
    static const std::pair<const char *, Rule::Action> kActions[] = {
        {"freeze", Rule::Action::Freeze}, {"unfreeze", Rule::Action::Unfreeze},
        {"drop", Rule::Action::Drop},     {"rename", Rule::Action::Rename},
        {"group", Rule::Action::Group},   {"cast", Rule::Action::Cast},
        {"resize", Rule::Action::Resize}, {"add", Rule::Action::Add},
        {"take", Rule::Action::Take},     {"stack", Rule::Action::Stack},
        {"concat", Rule::Action::Concat}, {"unstack", Rule::Action::Unstack},
        {"split", Rule::Action::Split},   {"transpose", Rule::Action::Transpose},
        {"reshape", Rule::Action::Reshape}, {"lora", Rule::Action::Lora},
        {"merge", Rule::Action::Merge},   {"permute_heads", Rule::Action::PermuteHeads},
        {"unpermute_heads", Rule::Action::UnpermuteHeads}, {"shift", Rule::Action::Shift}};
    bool known = false;
    for (const auto &[name, a] : kActions)
        if (action == name) r.action = a, known = true;
    if (!known)
        bad(field + ".action", "'" + action + "' is not one of freeze, unfreeze, drop, rename, group, cast, resize, add, "
                               "take, stack, concat, unstack, split, transpose, reshape, lora, merge, "
                               "permute_heads, unpermute_heads, shift");
    if (freezeOnly && r.action != Rule::Action::Freeze && r.action != Rule::Action::Unfreeze)
        bad(field + ".action", "a schedule stage holds only freeze and unfreeze rules");
    if (j.contains("enabled")) {
        if (!j["enabled"].is_boolean()) bad(field + ".enabled", "expected true or false");
        r.enabled = j["enabled"].get<bool>();
    }
    if (j.contains("note")) r.note = str(j["note"], field + ".note");
    if (j.contains("optional")) {
        if (!j["optional"].is_boolean()) bad(field + ".optional", "expected true or false");
        r.optional = j["optional"].get<bool>();
    }
    if (j.contains("match")) r.match = parseMatcher(j["match"], field + ".match");
    switch (r.action) {
    case Rule::Action::Rename:
        onlyKeys(j, field, {"action", "enabled", "note", "optional", "match", "regex", "prefix", "to"});
        if (j.contains("regex") == j.contains("prefix")) bad(field, "a rename needs either \"regex\" or \"prefix\"");
        if (!j.contains("to")) bad(field, "a rename needs \"to\"");
        if (j.contains("regex")) r.regex = str(j["regex"], field + ".regex");
        else r.prefix = str(j["prefix"], field + ".prefix");
        r.to = str(j["to"], field + ".to");
        break;
    case Rule::Action::Group:
        onlyKeys(j, field, {"action", "enabled", "note", "optional", "match", "group", "options"});
        if (!j.contains("group")) bad(field, "a group rule needs \"group\" (its name)");
        r.group = str(j["group"], field + ".group");
        if (j.contains("options")) {
            if (!j["options"].is_object()) bad(field + ".options", "expected an object");
            r.options = nlohmann::json(j["options"]).dump(); // std::map: keys sorted
        }
        break;
    case Rule::Action::Cast:
        onlyKeys(j, field, {"action", "enabled", "note", "optional", "match", "to"});
        if (!j.contains("to")) bad(field, "a cast needs \"to\" (a dtype)");
        r.castTo = dtypeField(j["to"], field + ".to");
        break;
    case Rule::Action::Resize:
        onlyKeys(j, field, {"action", "enabled", "note", "optional", "match", "shape", "method", "fill", "prefix_tokens", "std"});
        r.shape = shapeField(j, field);
        if (!j.contains("method")) bad(field, "a resize needs \"method\" (pos_embed, rel_pos_table or rows)");
        r.method = str(j["method"], field + ".method");
        if (r.method != "pos_embed" && r.method != "rel_pos_table" && r.method != "rows")
            bad(field + ".method", "'" + r.method + "' is not one of pos_embed, rel_pos_table, rows");
        if (j.contains("prefix_tokens")) {
            r.prefixTokens = integer(j["prefix_tokens"], field + ".prefix_tokens");
            if (r.prefixTokens < 0) bad(field + ".prefix_tokens", "must not be negative");
        }
        if (r.method == "rows") {
            r.fill = j.contains("fill") ? str(j["fill"], field + ".fill") : "zeros";
            if (r.fill != "zeros" && r.fill != "mean" && r.fill != "normal")
                bad(field + ".fill", "'" + r.fill + "' is not one of zeros, mean, normal");
        } else if (j.contains("fill")) {
            bad(field + ".fill", "only a rows resize fills");
        }
        r.stddev = stdField(j, field);
        break;
    case Rule::Action::Add:
        onlyKeys(j, field, {"action", "enabled", "note", "optional", "name", "shape", "dtype", "fill", "std", "source"});
        if (!j.contains("name")) bad(field, "an add needs \"name\"");
        r.name = str(j["name"], field + ".name");
        if (r.name.empty()) bad(field + ".name", "must not be empty");
        r.shape = shapeField(j, field);
        r.castTo = j.contains("dtype") ? dtypeField(j["dtype"], field + ".dtype") : DType::Float32;
        r.fill = j.contains("fill") ? str(j["fill"], field + ".fill") : "zeros";
        if (r.fill != "zeros" && r.fill != "ones" && r.fill != "normal" && r.fill != "target")
            bad(field + ".fill", "'" + r.fill + "' is not one of zeros, ones, normal, target");
        if (j.contains("source")) r.source = str(j["source"], field + ".source");
        if (r.fill == "target" && r.source.empty()) bad(field, "fill \"target\" needs \"source\" (the file holding it)");
        r.stddev = stdField(j, field);
        return r;
    case Rule::Action::Lora: config::parseSurgery(j, field, r); return r;
    default:
        if (isSurgery(r.action)) config::parseSurgery(j, field, r);
        else onlyKeys(j, field, {"action", "enabled", "note", "optional", "match"});
    }
    if (!r.match && r.action != Rule::Action::Rename) bad(field, "missing \"match\"");
    return r;
}

Path pathField(const json &j, const std::string &field)
{
    if (!j.is_array()) bad(field, "expected a path: a list of keys, e.g. [\"state_dict\"]");
    Path p;
    for (size_t i = 0; i < j.size(); ++i) {
        const json &e = j[i];
        if (e.is_string()) p.emplace_back(e.get<std::string>());
        else p.emplace_back(integer(e, field + "[" + std::to_string(i) + "]"));
    }
    return p;
}

RuleSet parseDocument(const json &j)
{
    if (!j.is_object()) bad("config", "expected an object");
    // "source" and "resolved" are what writeConfig adds: read back, they are ignored.
    onlyKeys(j, "config",
             {"version", "weights", "sources", "aliases", "types", "rules", "schedule", "gguf_metadata", "source", "resolved"});
    RuleSet set;
    if (j.contains("sources")) {
        if (!j["sources"].is_object()) bad("sources", "expected {name: path or {\"path\": ..., \"weights\": [...]}}");
        for (const auto &[name, v] : j["sources"].items()) {
            const std::string field = "sources." + name;
            if (name == "self" || name.empty()) bad(field, "'self' is the checkpoint being edited; give the source another name");
            RuleSource src{name, {}, std::nullopt};
            if (v.is_string()) {
                src.path = v.get<std::string>();
            } else if (v.is_object()) {
                onlyKeys(v, field, {"path", "weights"});
                if (!v.contains("path")) bad(field, "missing \"path\"");
                src.path = str(v["path"], field + ".path");
                if (v.contains("weights")) src.weights = pathField(v["weights"], field + ".weights");
            } else {
                bad(field, "expected a path or {\"path\": ..., \"weights\": [...]}");
            }
            if (src.path.empty()) bad(field, "an empty path");
            set.sources.push_back(std::move(src));
        }
    }
    if (j.contains("types")) set.types = str(j["types"], "types");
    if (j.contains("gguf_metadata")) {
        if (!j["gguf_metadata"].is_object()) bad("gguf_metadata", "expected {key: value, ...} (null removes a key)");
        for (const auto &[key, value] : j["gguf_metadata"].items()) {
            if (key.empty()) bad("gguf_metadata", "an empty key");
            set.ggufMetadata.emplace_back(key, value.dump());
        }
    }
    if (j.contains("version")) {
        set.version = int(integer(j["version"], "version"));
        if (set.version != 1) bad("version", "only version 1 is known");
    }
    if (j.contains("weights") && !j["weights"].is_null()) set.weights = pathField(j["weights"], "weights");
    if (j.contains("aliases")) {
        if (!j["aliases"].is_object()) bad("aliases", "expected {name: [glob, ...]}");
        for (const auto &[name, globs] : j["aliases"].items()) {
            const std::string field = "aliases." + name;
            std::vector<std::string> list;
            if (globs.is_string()) list.push_back(globs.get<std::string>());
            else if (globs.is_array())
                for (size_t i = 0; i < globs.size(); ++i) list.push_back(str(globs[i], field + "[" + std::to_string(i) + "]"));
            else bad(field, "expected a list of glob patterns");
            set.aliases.emplace_back(name, std::move(list));
        }
    }
    if (j.contains("rules")) {
        if (!j["rules"].is_array()) bad("rules", "expected a list");
        for (size_t i = 0; i < j["rules"].size(); ++i)
            set.rules.push_back(parseRule(j["rules"][i], "rules[" + std::to_string(i) + "]", false));
    }
    if (j.contains("schedule")) {
        if (!j["schedule"].is_array()) bad("schedule", "expected a list of {step, rules}");
        for (size_t s = 0; s < j["schedule"].size(); ++s) {
            const json &stage = j["schedule"][s];
            const std::string field = "schedule[" + std::to_string(s) + "]";
            if (!stage.is_object()) bad(field, "expected {\"step\": N, \"rules\": [...]}");
            onlyKeys(stage, field, {"step", "rules"});
            FreezeStage fs;
            fs.step = integer(stage.value("step", json()), field + ".step");
            if (!stage.contains("rules") || !stage["rules"].is_array()) bad(field + ".rules", "expected a list");
            for (size_t i = 0; i < stage["rules"].size(); ++i)
                fs.rules.push_back(parseRule(stage["rules"][i], field + ".rules[" + std::to_string(i) + "]", true));
            set.schedule.push_back(std::move(fs));
        }
    }
    return set;
}

json yamlToJson(const YAML::Node &n)
{
    switch (n.Type()) {
    case YAML::NodeType::Map: {
        json out = json::object();
        for (const auto &kv : n) out[kv.first.as<std::string>()] = yamlToJson(kv.second);
        return out;
    }
    case YAML::NodeType::Sequence: {
        json out = json::array();
        for (const auto &item : n) out.push_back(yamlToJson(item));
        return out;
    }
    case YAML::NodeType::Scalar: {
        const std::string s = n.Scalar();
        if (n.Tag() == "!") return s; // quoted in the source: a string
        int64_t i;
        double d;
        bool b;
        if (YAML::convert<int64_t>::decode(n, i)) return i;
        if (YAML::convert<double>::decode(n, d)) return d;
        if (YAML::convert<bool>::decode(n, b)) return b;
        return s;
    }
    default: return nullptr;
    }
}

json matcherJson(const Matcher &m)
{
    switch (m.kind) {
    case Matcher::Kind::Glob: return {{"glob", m.text}};
    case Matcher::Kind::Regex: return {{"regex", m.text}};
    case Matcher::Kind::Name: return {{"name", m.text}};
    case Matcher::Kind::Prefix: return {{"prefix", m.text}};
    case Matcher::Kind::Suffix: return {{"suffix", m.text}};
    case Matcher::Kind::Module: return {{"module", m.text}};
    case Matcher::Kind::Alias: return {{"alias", m.text}};
    case Matcher::Kind::Type: return {{"type", m.text}};
    case Matcher::Kind::Ndim: return {{"ndim", m.ndim}};
    case Matcher::Kind::Dtype: return {{"dtype", std::string(dtypeName(m.dtype))}};
    case Matcher::Kind::Shape: {
        json dims = json::array();
        for (const auto &d : m.shape) dims.push_back(d ? json(*d) : json("*"));
        return {{"shape", dims}};
    }
    case Matcher::Kind::Numel: {
        json range = json::object();
        if (m.min) range["min"] = *m.min;
        if (m.max) range["max"] = *m.max;
        return {{"numel", range}};
    }
    case Matcher::Kind::All:
    case Matcher::Kind::Any: {
        json list = json::array();
        for (const auto &c : m.children) list.push_back(matcherJson(c));
        return {{m.kind == Matcher::Kind::All ? "all" : "any", list}};
    }
    case Matcher::Kind::Not: return {{"not", matcherJson(m.children.front())}};
    }
    return nullptr;
}

json ruleJson(const Rule &r)
{
    json j;
    j["action"] = actionName(r.action);
    if (!r.enabled) j["enabled"] = false;
    if (!r.note.empty()) j["note"] = r.note;
    if (r.optional) j["optional"] = true;
    if (r.action == Rule::Action::Rename) {
        if (!r.regex.empty()) j["regex"] = r.regex;
        else j["prefix"] = r.prefix;
        j["to"] = r.to;
    }
    if (r.action == Rule::Action::Group) j["group"] = r.group;
    if (r.match) j["match"] = matcherJson(*r.match);
    if (r.action == Rule::Action::Group && r.options != "{}") j["options"] = json::parse(r.options);
    if (r.action == Rule::Action::Cast) j["to"] = dtypeName(r.castTo);
    if (r.action == Rule::Action::Add) {
        j["name"] = r.name;
        j["shape"] = r.shape;
        j["dtype"] = dtypeName(r.castTo);
        j["fill"] = r.fill;
        if (!r.source.empty()) j["source"] = r.source;
    }
    if (r.action == Rule::Action::Resize) {
        j["shape"] = r.shape;
        j["method"] = r.method;
        if (r.method == "rows") j["fill"] = r.fill;
        if (r.prefixTokens) j["prefix_tokens"] = r.prefixTokens;
    }
    if ((r.action == Rule::Action::Add || r.action == Rule::Action::Resize) && r.stddev > 0) j["std"] = r.stddev;
    if (isSurgery(r.action)) config::writeSurgery(r, j);
    return j;
}

} // namespace

namespace config {

json rulesJson(const RuleSet &set)
{
    json j;
    j["version"] = set.version;
    auto pathJson = [](const Path &p) {
        json path = json::array();
        for (const auto &e : p) {
            if (const auto *n = std::get_if<int64_t>(&e)) path.push_back(*n);
            else path.push_back(pathElementText(e)); // a string, or a big integer's digits
        }
        return path;
    };
    if (set.weights) j["weights"] = pathJson(*set.weights);
    if (!set.sources.empty()) {
        json sources = json::object();
        for (const auto &src : set.sources)
            sources[src.name] = src.weights ? json{{"path", src.path}, {"weights", pathJson(*src.weights)}} : json(src.path);
        j["sources"] = sources;
    }
    if (!set.aliases.empty()) {
        std::map<std::string, std::vector<std::string>> sorted(set.aliases.begin(), set.aliases.end());
        j["aliases"] = sorted;
    }
    if (!set.types.empty()) j["types"] = set.types;
    if (!set.ggufMetadata.empty()) {
        json metadata = json::object();
        for (const auto &[key, value] : set.ggufMetadata) metadata[key] = json::parse(value);
        j["gguf_metadata"] = metadata;
    }
    j["rules"] = json::array();
    for (const auto &r : set.rules) j["rules"].push_back(ruleJson(r));
    if (!set.schedule.empty()) {
        json stages = json::array();
        for (const auto &s : set.schedule) {
            json rules = json::array();
            for (const auto &r : s.rules) rules.push_back(ruleJson(r));
            stages.push_back({{"step", s.step}, {"rules", rules}});
        }
        j["schedule"] = stages;
    }
    return j;
}

void emitYaml(YAML::Emitter &out, const json &j)
{
    if (j.is_object()) {
        out << YAML::BeginMap;
        for (const auto &[k, v] : j.items()) {
            out << YAML::Key << k << YAML::Value;
            emitYaml(out, v);
        }
        out << YAML::EndMap;
    } else if (j.is_array()) {
        out << YAML::BeginSeq;
        for (const auto &v : j) emitYaml(out, v);
        out << YAML::EndSeq;
    } else if (j.is_string()) {
        out << YAML::DoubleQuoted << j.get<std::string>();
    } else if (j.is_boolean()) {
        out << j.get<bool>();
    } else if (j.is_number_integer()) {
        out << j.get<int64_t>();
    } else if (j.is_number()) {
        out << j.get<double>();
    } else {
        out << YAML::Null;
    }
}

std::string render(const json &j, ConfigFormat format)
{
    if (format == ConfigFormat::Json) return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
    YAML::Emitter out;
    emitYaml(out, j);
    return std::string(out.c_str()) + "\n";
}

} // namespace config

Result<RuleSet> parseConfig(const std::string &text, ConfigFormat format)
{
    try {
        json j;
        if (format == ConfigFormat::Json) {
            try {
                j = json::parse(text);
            } catch (const json::exception &e) {
                std::string msg = e.what();
                if (const auto p = msg.find("] "); p != std::string::npos) msg = msg.substr(p + 2);
                return Error{"not valid JSON (" + msg + ")"};
            }
        } else {
            try {
                j = yamlToJson(YAML::Load(text));
            } catch (const YAML::Exception &e) {
                return Error{"not valid YAML (" + std::string(e.what()) + ")"};
            }
        }
        return parseDocument(j);
    } catch (const std::runtime_error &e) {
        return Error{e.what()};
    }
}

ConfigFormat configFormatFor(const std::string &path)
{
    const std::string ext = std::filesystem::path(path).extension().string();
    return ext == ".yaml" || ext == ".yml" ? ConfigFormat::Yaml : ConfigFormat::Json;
}

Result<RuleSet> loadConfig(const std::string &path)
{
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return Error{"no such file"};
    if (std::filesystem::file_size(path, ec) > (64u << 20)) return Error{"config larger than 64 MiB"};
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    auto set = parseConfig(text.str(), configFormatFor(path));
    if (set) set->folder = std::filesystem::path(path).parent_path().string();
    return set;
}

std::string ruleToJson(const Rule &rule)
{
    return ruleJson(rule).dump();
}

Result<Rule> ruleFromJson(const std::string &text)
{
    try {
        json j;
        try {
            j = json::parse(text);
        } catch (const json::exception &) {
            return Error{"not valid JSON"};
        }
        return parseRule(j, "rule", false);
    } catch (const std::runtime_error &e) {
        return Error{e.what()};
    }
}

std::string writeRules(const RuleSet &rules, ConfigFormat format)
{
    return render(rulesJson(rules), format);
}

std::string listingHash(const std::vector<PlanInput> &inputs)
{
    uint64_t h = 14695981039346656037ull;
    auto feed = [&](std::string_view s) {
        for (unsigned char c : s) {
            h ^= c;
            h *= 1099511628211ull;
        }
    };
    for (const auto &t : inputs) {
        feed(t.name);
        feed(" ");
        feed(dtypeName(t.dtype));
        for (int64_t d : t.shape) {
            feed(" ");
            feed(std::to_string(d));
        }
        feed("\n");
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "fnv1a64:%016llx", static_cast<unsigned long long>(h));
    return buf;
}

} // namespace ckpt
