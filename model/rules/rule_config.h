#pragma once

#include "model/checkpoint/checkpoint.h"
#include "model/base/result.h"
#include "model/rules/rule_engine.h"
#include "model/rules/rule_set.h"

#include <string>

namespace ckpt {

enum class ConfigFormat { Json, Yaml };

/// Reads a config (JSON or YAML, same schema). Errors name the rule and field at fault:
/// "rules[3].match.glob: expected a string". Only "version", "weights", "aliases", "rules",
/// "schedule" are read; "source" and "resolved" (written by us) are ignored on input.
Result<RuleSet> parseConfig(const std::string &text, ConfigFormat format);
/// JSON unless the name ends in .yaml or .yml; reads the file.
Result<RuleSet> loadConfig(const std::string &path);
ConfigFormat configFormatFor(const std::string &path);

/// One rule as JSON text (canonical) and back; errors name the field ("match.glob: ...").
std::string ruleToJson(const Rule &rule);
Result<Rule> ruleFromJson(const std::string &text);

/// The rules alone, canonical: fixed key order, maps sorted, so equal configs are equal bytes.
std::string writeRules(const RuleSet &rules, ConfigFormat format);

/// A full config for training code to audit: the rules as written, the source checkpoint's
/// identity (name, size, a hash of its tensor listing) and the resolved result (frozen,
/// dropped, rename map, groups with members, casts).
std::string writeConfig(const RuleSet &rules, const Checkpoint &source, const std::string &sourcePath,
                        const std::vector<PlanInput> &inputs, const Plan &plan, ConfigFormat format);

/// fnv1a64 over "name dtype shape" lines of the weights: the same tensors, the same hash.
std::string listingHash(const std::vector<PlanInput> &inputs);

} // namespace ckpt
