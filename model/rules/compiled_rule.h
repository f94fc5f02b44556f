#pragma once

#include "model/match/name_matcher.h"
#include "model/match/regex.h"
#include "model/match/replacement.h"
#include "model/rules/rule_engine.h"
#include "model/rules/rule_set.h"
#include "model/rules/target_architecture.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ckpt {

/// A matcher with its patterns compiled (internal to the rule engine).
struct CompiledMatcher
{
    Matcher::Kind kind = Matcher::Kind::Glob;
    const Matcher *source = nullptr;
    std::vector<NameMatcher> globs;           ///< glob, alias
    std::optional<Regex> regex;               ///< regex
    std::vector<CompiledMatcher> children;    ///< all, any, not
    std::shared_ptr<const ModuleTypes> types; ///< type
};

/// A rule with its matcher, rename pattern and replacement compiled.
struct CompiledRule
{
    const Rule *rule = nullptr;
    std::optional<CompiledMatcher> match;
    std::optional<Regex> renameRegex;
    std::optional<Replacement> replacement;
};

/// Throws std::runtime_error naming the rule and field ("rules[2].regex: missing )").
CompiledRule compileRule(const Rule &r, const RuleSet &set, const std::string &field);

/// Which of up to 64 tensors the matcher selects: bit i of `candidates` stands for the tensor
/// inputs[i] under the name names[i]; the answer is a subset of the candidates. One kind of
/// test runs over many tensors at a time (the preview's inner loop), and all / any / not
/// test a child only on the tensors it can still decide.
uint64_t selectTensors(const CompiledMatcher &c, const PlanInput *inputs, const std::string_view *names,
                       uint64_t candidates);

/// Python's re.sub in one pass: false when nothing matches; otherwise `out` (reused, no
/// allocation once warm) receives every non-overlapping match replaced.
bool substitute(const Regex &re, const Replacement &replacement, std::string_view text, std::string &out);

/// Whether matching may run RE2 (regular expressions; globs with '?' or '[').
bool mayUseRe2(const Matcher &m);

} // namespace ckpt
