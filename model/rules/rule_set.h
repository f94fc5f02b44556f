#pragma once

#include "model/base/dtype.h"
#include "model/base/tensor_table.h"

#include <cstdint>
#include <map>
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

/// One part of a split: its name (read as in rename) and its size along the axis (nullopt:
/// an equal share of what the sized parts leave).
struct SplitPart
{
    std::string to;
    std::optional<int64_t> size;
    bool operator==(const SplitPart &) const = default;
};

struct Rule
{
    enum class Action {
        Freeze, Unfreeze, Drop, Rename, Group, Cast, Resize, Add,
        // Surgery: rules that make tensors from others, or from other checkpoints.
        Take, Stack, Concat, Unstack, Split, Transpose, Reshape, Lora, Merge,
        PermuteHeads, UnpermuteHeads, Shift,
    };
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
    std::string from;              ///< take, lora: the name of a RuleSet source
    bool replace = false;          ///< take: a taken name may replace one that exists
    std::string key;               ///< stack, concat: the group key ("\\1"), read as in rename
    std::vector<std::string> order; ///< stack, concat: the keys in order (empty: numeric keys)
    int64_t axis = 0;              ///< stack, concat, unstack, split
    std::vector<SplitPart> parts;  ///< split
    std::vector<int64_t> dims;     ///< transpose: the permutation
    double scale = 1;              ///< lora: times s = alpha / r
    std::vector<std::pair<std::string, double>> weights; ///< merge: source name -> weight
    std::string base;              ///< merge: the base model's source name
    double t = 0.5;                ///< merge slerp: the interpolation factor
    double density = 1;            ///< merge ties: the fraction of each task vector kept
    int64_t heads = 0;             ///< permute_heads, unpermute_heads: attention heads (0: from `headsKeys`)
    std::vector<std::string> headsKeys; ///< ... or the first of these metadata keys the checkpoint has
    double by = 0;                 ///< shift: the number added to every value
    bool enabled = true;
    bool optional = false;         ///< may match no tensor (a config for several models): no error then
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

/// Another checkpoint the rules read from ("sources" in the config); "self" names the one
/// being edited.
struct RuleSource
{
    std::string name;
    std::string path;              ///< as written: relative to the config's folder
    std::optional<Path> weights;   ///< absent: that checkpoint's best weights candidate
    bool operator==(const RuleSource &) const = default;
};

/// A matcher of one text kind (glob, regex, name, prefix, suffix, module, alias, type).
Matcher textMatcher(Matcher::Kind kind, std::string text);

/// Whether the action makes tensors from others (surgery) rather than editing each alone.
bool isSurgery(Rule::Action action);

/// A whole config: which dict holds the weights, aliases, the ordered rules, a schedule.
struct RuleSet
{
    int version = 1;
    std::vector<RuleSource> sources;
    /// The folder relative source paths start from (the config file's), empty: the current one.
    /// Not written out.
    std::string folder;
    std::optional<Path> weights;   ///< absent: the checkpoint's best weights candidate
    std::vector<std::pair<std::string, std::vector<std::string>>> aliases;
    std::vector<Rule> rules;
    std::vector<FreezeStage> schedule;
    /// A TorchScript archive or a manifest with module_type entries: the module classes that
    /// "type" matchers ask about. Empty when no rule matches by type.
    std::string types;
    /// GGUF export: metadata keys set (or, with null, removed), each value as JSON text; the
    /// export room turns them into typed GGUF values.
    std::vector<std::pair<std::string, std::string>> ggufMetadata;
    /// The edited checkpoint's metadata (GGUF keys and the like), which rules may name (the
    /// heads of permute_heads). Set where the rules meet a checkpoint; not written out.
    std::map<std::string, std::string> metadata;
    bool operator==(const RuleSet &) const = default;
};

std::string_view actionName(Rule::Action action);
/// A short human description: "freeze glob 'encoder.*'".
std::string describeRule(const Rule &rule);
std::string describeMatcher(const Matcher &matcher);

} // namespace ckpt
