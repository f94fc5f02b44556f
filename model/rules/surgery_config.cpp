#include "model/rules/config_fields.h"

#include <cmath>
#include <set>

// The surgery rules in a config: how they are read and written.
namespace ckpt::config {
namespace {

double number(const json &j, const std::string &field)
{
    if (!j.is_number()) bad(field, "expected a number");
    return j.get<double>();
}

int64_t axisField(const json &j, const std::string &field)
{
    return j.contains("axis") ? integer(j["axis"], field + ".axis") : 0;
}

/// A reshape's shape: sizes, one of them -1 at most (inferred from the element count).
std::vector<int64_t> reshapeField(const json &j, const std::string &field)
{
    if (!j.contains("shape") || !j["shape"].is_array()) bad(field, "a reshape needs \"shape\" (a list of sizes, one -1 allowed)");
    std::vector<int64_t> shape;
    int inferred = 0;
    for (size_t i = 0; i < j["shape"].size(); ++i) {
        const std::string sub = field + ".shape[" + std::to_string(i) + "]";
        shape.push_back(integer(j["shape"][i], sub));
        if (shape.back() == -1 && ++inferred > 1) bad(sub, "only one size may be -1");
        if (shape.back() < -1 || shape.back() > (int64_t(1) << 50)) bad(sub, "not a size");
    }
    return shape;
}

} // namespace

void parseSurgery(const json &j, const std::string &field, Rule &r)
{
    auto need = [&](const char *key, const char *what) {
        if (j.contains(key)) return;
        std::string message = "a ";
        message.append(actionName(r.action)).append(" needs \"").append(key).append("\" (").append(what).append(")");
        bad(field, message);
    };
    switch (r.action) {
    case Rule::Action::Take:
        onlyKeys(j, field, {"action", "enabled", "note", "optional", "from", "match", "prefix", "regex", "to", "replace"});
        need("from", "the name of a source");
        r.from = str(j["from"], field + ".from");
        if (j.contains("prefix") && j.contains("regex")) bad(field, "a take renames by \"prefix\" or \"regex\", not both");
        if (j.contains("prefix")) r.prefix = str(j["prefix"], field + ".prefix");
        if (j.contains("regex")) r.regex = str(j["regex"], field + ".regex");
        if (j.contains("to")) r.to = str(j["to"], field + ".to");
        if ((j.contains("prefix") || j.contains("regex")) != j.contains("to"))
            bad(field, "a take's rename needs \"prefix\" or \"regex\" together with \"to\"");
        if (j.contains("replace")) {
            if (!j["replace"].is_boolean()) bad(field + ".replace", "expected true or false");
            r.replace = j["replace"].get<bool>();
        }
        break;
    case Rule::Action::Stack:
    case Rule::Action::Concat:
        onlyKeys(j, field, {"action", "enabled", "note", "optional", "match", "to", "key", "order", "axis"});
        need("to", "the name each group becomes, e.g. \"layers.\\\\2\"");
        need("key", "what orders a group, e.g. \"\\\\1\"");
        r.to = str(j["to"], field + ".to");
        r.key = str(j["key"], field + ".key");
        if (j.contains("order")) {
            if (!j["order"].is_array() || j["order"].empty()) bad(field + ".order", "expected a non-empty list of keys");
            for (size_t i = 0; i < j["order"].size(); ++i) {
                const json &k = j["order"][i];
                r.order.push_back(k.is_number_integer() ? std::to_string(k.get<int64_t>())
                                                        : str(k, field + ".order[" + std::to_string(i) + "]"));
            }
        }
        r.axis = axisField(j, field);
        break;
    case Rule::Action::Unstack:
        onlyKeys(j, field, {"action", "enabled", "note", "optional", "match", "to", "axis"});
        need("to", "the name of each slice, with {i} for its index");
        r.to = str(j["to"], field + ".to");
        if (r.to.find("{i}") == std::string::npos) bad(field + ".to", "must hold {i}, the slice's index");
        r.axis = axisField(j, field);
        break;
    case Rule::Action::Split:
        onlyKeys(j, field, {"action", "enabled", "note", "optional", "match", "parts", "axis"});
        need("parts", "a list of {\"to\": name, \"size\": n}");
        if (!j["parts"].is_array() || j["parts"].size() < 2) bad(field + ".parts", "expected a list of two parts or more");
        for (size_t i = 0; i < j["parts"].size(); ++i) {
            const json &part = j["parts"][i];
            const std::string sub = field + ".parts[" + std::to_string(i) + "]";
            if (!part.is_object() || !part.contains("to")) bad(sub, "expected {\"to\": name, \"size\": n}");
            onlyKeys(part, sub, {"to", "size"});
            SplitPart sp{str(part["to"], sub + ".to"), std::nullopt};
            if (part.contains("size")) {
                sp.size = integer(part["size"], sub + ".size");
                if (*sp.size < 0) bad(sub + ".size", "must not be negative");
            }
            r.parts.push_back(std::move(sp));
        }
        r.axis = axisField(j, field);
        break;
    case Rule::Action::Transpose: {
        onlyKeys(j, field, {"action", "enabled", "note", "optional", "match", "dims"});
        need("dims", "the permutation, e.g. [1, 0]");
        if (!j["dims"].is_array() || j["dims"].empty()) bad(field + ".dims", "expected a permutation, e.g. [1, 0]");
        std::vector<bool> seen(j["dims"].size());
        for (size_t i = 0; i < j["dims"].size(); ++i) {
            const int64_t d = integer(j["dims"][i], field + ".dims[" + std::to_string(i) + "]");
            if (d < 0 || d >= int64_t(seen.size()) || seen[size_t(d)])
                bad(field + ".dims", "not a permutation of 0.." + std::to_string(seen.size() - 1));
            seen[size_t(d)] = true;
            r.dims.push_back(d);
        }
        break;
    }
    case Rule::Action::Reshape:
        onlyKeys(j, field, {"action", "enabled", "note", "optional", "match", "shape"});
        r.shape = reshapeField(j, field);
        break;
    case Rule::Action::Lora:
        onlyKeys(j, field, {"action", "enabled", "note", "optional", "from", "scale"});
        need("from", "the name of a source: a PEFT adapter folder");
        r.from = str(j["from"], field + ".from");
        if (j.contains("scale")) r.scale = number(j["scale"], field + ".scale");
        return;
    case Rule::Action::Merge: {
        onlyKeys(j, field, {"action", "enabled", "note", "optional", "match", "method", "weights", "base", "t", "density"});
        need("method", "linear, task_arithmetic, slerp or ties");
        r.method = str(j["method"], field + ".method");
        if (r.method != "linear" && r.method != "task_arithmetic" && r.method != "slerp" && r.method != "ties")
            bad(field + ".method", "'" + r.method + "' is not one of linear, task_arithmetic, slerp, ties");
        need("weights", "source name -> weight, e.g. {\"self\": 0.5, \"ft\": 0.5}");
        if (!j["weights"].is_object() || j["weights"].empty()) bad(field + ".weights", "expected {source: weight, ...}");
        for (const auto &[name, w] : j["weights"].items())
            r.weights.emplace_back(name, number(w, field + ".weights." + name));
        if (r.method != "linear") r.base = j.contains("base") ? str(j["base"], field + ".base") : "self";
        else if (j.contains("base")) bad(field + ".base", "a linear merge has no base");
        if (j.contains("t")) {
            if (r.method != "slerp") bad(field + ".t", "only a slerp merge has t");
            r.t = number(j["t"], field + ".t");
        }
        if (j.contains("density")) {
            if (r.method != "ties") bad(field + ".density", "only a ties merge has density");
            r.density = number(j["density"], field + ".density");
            if (!(r.density > 0 && r.density <= 1)) bad(field + ".density", "expected a number in (0, 1]");
        }
        if (r.method == "slerp") {
            std::set<std::string> models{r.base};
            for (const auto &w : r.weights) models.insert(w.first);
            if (models.size() != 2) bad(field + ".weights", "a slerp merges two models: the base and one other");
        }
        break;
    }
    case Rule::Action::PermuteHeads:
    case Rule::Action::UnpermuteHeads:
        onlyKeys(j, field, {"action", "enabled", "note", "optional", "match", "heads"});
        need("heads", "the number of attention heads, or the metadata key that holds it");
        if (j["heads"].is_string()) {
            r.headsKeys = {str(j["heads"], field + ".heads")};
        } else if (j["heads"].is_array()) {
            for (size_t i = 0; i < j["heads"].size(); ++i)
                r.headsKeys.push_back(str(j["heads"][i], field + ".heads[" + std::to_string(i) + "]"));
            if (r.headsKeys.empty()) bad(field + ".heads", "expected metadata keys");
        } else {
            r.heads = integer(j["heads"], field + ".heads");
            if (r.heads < 1 || r.heads > (int64_t(1) << 20)) bad(field + ".heads", "not a number of heads");
        }
        break;
    case Rule::Action::Shift:
        onlyKeys(j, field, {"action", "enabled", "note", "optional", "match", "by"});
        need("by", "the number added to every value, e.g. -1");
        r.by = number(j["by"], field + ".by");
        if (!std::isfinite(r.by)) bad(field + ".by", "expected a finite number");
        break;
    default: break;
    }
}

void writeSurgery(const Rule &r, json &j)
{
    switch (r.action) {
    case Rule::Action::Take:
        j["from"] = r.from;
        if (!r.prefix.empty() || !r.regex.empty()) {
            if (!r.regex.empty()) j["regex"] = r.regex;
            else j["prefix"] = r.prefix;
            j["to"] = r.to;
        }
        if (r.replace) j["replace"] = true;
        break;
    case Rule::Action::Stack:
    case Rule::Action::Concat:
        j["to"] = r.to;
        j["key"] = r.key;
        if (!r.order.empty()) j["order"] = r.order;
        j["axis"] = r.axis;
        break;
    case Rule::Action::Unstack:
        j["to"] = r.to;
        j["axis"] = r.axis;
        break;
    case Rule::Action::Split: {
        json parts = json::array();
        for (const auto &p : r.parts) {
            json part = {{"to", p.to}};
            if (p.size) part["size"] = *p.size;
            parts.push_back(part);
        }
        j["parts"] = parts;
        j["axis"] = r.axis;
        break;
    }
    case Rule::Action::Transpose: j["dims"] = r.dims; break;
    case Rule::Action::Reshape: j["shape"] = r.shape; break;
    case Rule::Action::Lora:
        j["from"] = r.from;
        if (r.scale != 1) j["scale"] = r.scale;
        break;
    case Rule::Action::Merge: {
        j["method"] = r.method;
        json weights = json::object();
        for (const auto &[name, w] : r.weights) weights[name] = w;
        j["weights"] = weights;
        if (!r.base.empty()) j["base"] = r.base;
        if (r.method == "slerp") j["t"] = r.t;
        if (r.method == "ties") j["density"] = r.density;
        break;
    }
    case Rule::Action::PermuteHeads:
    case Rule::Action::UnpermuteHeads:
        if (r.headsKeys.empty()) j["heads"] = r.heads;
        else if (r.headsKeys.size() == 1) j["heads"] = r.headsKeys.front();
        else j["heads"] = r.headsKeys;
        break;
    case Rule::Action::Shift: j["by"] = r.by; break;
    default: break;
    }
}

} // namespace ckpt::config
