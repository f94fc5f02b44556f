#pragma once

#include "model/base/dtype.h"
#include "model/base/tensor_table.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ckpt {

/// Selects tensors by name or by what they are. Names are the keys of the weights dict, as
/// earlier rename rules left them.
struct Matcher
{
    enum class Kind {
        Glob,   ///< Python fnmatch.fnmatchcase on the whole name
        Regex,  ///< RE2 (= Python re) searched anywhere in the name
        Name,   ///< exactly this name
        Prefix,
        Suffix,
        Module, ///< the name itself or anything under it ("encoder" matches "encoder.x")
        Ndim,
        Dtype,
        Shape,  ///< dims, each an integer or any ("*")
        Numel,  ///< inclusive range
        Alias,  ///< a named set of glob patterns defined in the config
        Type,   ///< the owning module's class ("LayerNorm"), from the config's "types" file
        All,
        Any,
        Not,
    };
    Kind kind = Kind::Glob;
    std::string text;                          ///< pattern, name, prefix, module, alias, type
    int64_t ndim = 0;
    DType dtype = DType::Unknown;
    std::vector<std::optional<int64_t>> shape; ///< nullopt: any size
    std::optional<int64_t> min, max;           ///< numel
    std::vector<Matcher> children;             ///< all, any; not has one

    bool operator==(const Matcher &) const = default;
};

struct Rule
{
    enum class Action { Freeze, Unfreeze, Drop, Rename, Group, Cast, Resize, Add };
    Action action = Action::Freeze;
    std::optional<Matcher> match;  ///< required except for rename (which its regex/prefix selects)
    std::string regex;             ///< rename: Python re.sub pattern
    std::string prefix;            ///< rename: prefix to replace
    std::string to;                ///< rename: replacement (`\1` groups) or new prefix
    std::string group;             ///< group name
    std::string options = "{}";    ///< group options, canonical JSON object text
    DType castTo = DType::Unknown; ///< cast target; add: the new tensor's dtype
    std::vector<int64_t> shape;    ///< resize: the new shape; add: the new tensor's shape
    std::string method;            ///< resize: "pos_embed", "rel_pos_table" or "rows"
    std::string fill;              ///< resize rows, add: "zeros", "ones", "mean", "normal", "target"
    int64_t prefixTokens = 0;      ///< resize pos_embed: leading (class) tokens kept aside
    double stddev = 0;             ///< normal fill; 0: the existing rows' std (resize), 0.02 (add)
    std::string name;              ///< add: the new tensor's name
    std::string source;            ///< add, fill "target": the file that holds a tensor of that name
    bool enabled = true;
    std::string note;              ///< free text, kept

    bool operator==(const Rule &) const = default;
};

/// Freeze/unfreeze rules that take effect from a training step on.
struct FreezeStage
{
    int64_t step = 0;
    std::vector<Rule> rules;
    bool operator==(const FreezeStage &) const = default;
};

/// A whole config: which dict holds the weights, aliases, the ordered rules, a schedule.
struct RuleSet
{
    int version = 1;
    std::optional<Path> weights;   ///< absent: the checkpoint's best weights candidate
    std::vector<std::pair<std::string, std::vector<std::string>>> aliases;
    std::vector<Rule> rules;
    std::vector<FreezeStage> schedule;
    /// A TorchScript archive or a manifest with module_type entries: the module classes that
    /// "type" matchers ask about. Empty when no rule matches by type.
    std::string types;
    bool operator==(const RuleSet &) const = default;
};

std::string_view actionName(Rule::Action action);
/// A short human description: "freeze glob 'encoder.*'".
std::string describeRule(const Rule &rule);
std::string describeMatcher(const Matcher &matcher);

} // namespace ckpt
