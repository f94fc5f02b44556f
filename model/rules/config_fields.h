#pragma once

// What the config reader's files share: JSON field readers that throw "field: what" (internal
// to model/rules).

#include "model/rules/rule_config.h"
#include "model/rules/rule_set.h"

#include <nlohmann/json.hpp>

#include <initializer_list>
#include <stdexcept>
#include <string>

namespace ckpt::config {

using json = nlohmann::ordered_json;

[[noreturn]] inline void bad(const std::string &field, const std::string &what)
{
    throw std::runtime_error(field + ": " + what);
}

inline const std::string &str(const json &j, const std::string &field)
{
    if (!j.is_string()) bad(field, "expected a string");
    return j.get_ref<const std::string &>();
}

inline int64_t integer(const json &j, const std::string &field)
{
    if (!j.is_number_integer()) bad(field, "expected an integer");
    return j.get<int64_t>();
}

inline void onlyKeys(const json &j, const std::string &field, std::initializer_list<const char *> keys)
{
    for (const auto &[k, v] : j.items()) {
        bool known = false;
        for (const char *key : keys) known = known || k == key;
        if (!known) bad(field, "unknown field '" + k + "'");
    }
}

/// The surgery actions' own fields (take, stack, concat, unstack, split, transpose, reshape,
/// lora, merge), read into `r` and written back.
void parseSurgery(const json &j, const std::string &field, Rule &r);
void writeSurgery(const Rule &r, json &j);

/// The rules as a JSON document (canonical: fixed key order, maps sorted) and its text.
json rulesJson(const RuleSet &set);
std::string render(const json &j, ConfigFormat format);

} // namespace ckpt::config
