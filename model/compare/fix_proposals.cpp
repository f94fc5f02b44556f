#include "model/compare/fix_proposals.h"

#include "model/compare/layout_fixes.h"
#include "model/match/replacement.h"

#include "model/checkpoint/checkpoint_summary.h"
#include "model/rules/tensor_resize.h"

#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>
#include <unordered_set>

namespace ckpt {

std::string_view proposalKindName(FixProposal::Kind k)
{
    switch (k) {
    case FixProposal::Kind::Prefix: return "prefix";
    case FixProposal::Kind::Rename: return "rename";
    case FixProposal::Kind::Resize: return "resize";
    case FixProposal::Kind::Drop: return "drop";
    case FixProposal::Kind::Fill: return "fill";
    case FixProposal::Kind::Cast: return "cast";
    case FixProposal::Kind::Stack: return "stack";
    case FixProposal::Kind::Unstack: return "unstack";
    case FixProposal::Kind::Split: return "split";
    case FixProposal::Kind::Concat: return "concat";
    }
    return "?";
}

bool Kinship::differentModels() const
{
    const size_t smaller = std::min(checkpointTensors, targetTensors);
    return smaller > 0 && counterparts * 2 < smaller;
}

std::string Kinship::verdict() const
{
    return "different models: only " + std::to_string(counterparts) + " of " + std::to_string(targetTensors) +
           " target tensors have a counterpart among the checkpoint's " + std::to_string(checkpointTensors) +
           ", even with prefixes and renames; no fixes proposed (they would replace the model, not repair it)";
}

RuleSet withProposals(const RuleSet &rules, const std::vector<FixProposal> &proposals)
{
    RuleSet out = rules;
    for (const auto &p : proposals) out.rules.insert(out.rules.end(), p.rules.begin(), p.rules.end());
    return out;
}

namespace {

struct State
{
    Plan plan;
    CompareReport report;
};

State evaluate(const std::vector<PlanInput> &inputs, const RuleSet &rules, const TargetArchitecture &target,
               const ModuleVersions &versions)
{
    State s;
    auto compiled = CompiledRules::compile(rules);
    if (!compiled) return s; // the caller's rules compiled; a proposal's are ours and valid
    s.plan = (*compiled)->evaluate(inputs);
    s.report = compareWithTarget(inputs, s.plan, rules, target, versions);
    return s;
}

Matcher nameMatcher(const std::string &name)
{
    return textMatcher(Matcher::Kind::Name, name);
}

/// One name, or any of several.
Matcher namesMatcher(const std::vector<std::string> &names)
{
    if (names.size() == 1) return nameMatcher(names.front());
    Matcher m;
    m.kind = Matcher::Kind::Any;
    for (const auto &n : names) m.children.push_back(nameMatcher(n));
    return m;
}

/// The prefix change that turns the most unexpected names into missing ones: strip one
/// ("module."), add one ("model."), or replace one by another ("backbone." -> "encoder."), each
/// prefix ending in '.'. Votes come from name pairs whose rest (at least "x.y") agrees.
std::optional<FixProposal> prefixFix(const CompareReport &r)
{
    const auto unexpected = entriesWithStatus(r, CompareEntry::Status::Unexpected);
    const auto missing = entriesWithStatus(r, CompareEntry::Status::Missing);
    if (unexpected.empty() || missing.empty()) return std::nullopt;
    // Missing names by each of their tails: rest -> the prefixes before it.
    std::unordered_map<std::string_view, std::vector<std::string_view>> byRest;
    auto tails = [](std::string_view name, auto &&fn) {
        fn(std::string_view(), name); // no prefix at all
        for (size_t dot = name.find('.'); dot != std::string_view::npos; dot = name.find('.', dot + 1))
            if (name.find('.', dot + 1) != std::string_view::npos) // keep at least "x.y"
                fn(name.substr(0, dot + 1), name.substr(dot + 1));
    };
    for (const auto *e : missing) tails(e->name, [&](std::string_view prefix, std::string_view rest) { byRest[rest].push_back(prefix); });
    constexpr size_t kAmbiguous = 8; // a rest shared by more names says little about prefixes
    // Keys are views into the report's names: no string is built per vote (100k names vote
    // several times each).
    struct PairHash
    {
        size_t operator()(const std::pair<std::string_view, std::string_view> &p) const
        {
            return std::hash<std::string_view>{}(p.first) * 31 + std::hash<std::string_view>{}(p.second);
        }
    };
    std::unordered_map<std::pair<std::string_view, std::string_view>, size_t, PairHash> votes; ///< (from, to) -> names it fixes
    for (const auto *e : unexpected)
        tails(e->name, [&](std::string_view from, std::string_view rest) {
            const auto it = byRest.find(rest);
            if (it == byRest.end() || it->second.size() > kAmbiguous) return;
            for (std::string_view to : it->second)
                if (from != to) ++votes[{from, to}];
        });
    if (votes.empty()) return std::nullopt;
    // Most names fixed; then the smaller change; then the first in text order (deterministic).
    const auto best = std::min_element(votes.begin(), votes.end(), [](const auto &a, const auto &b) {
        if (a.second != b.second) return a.second > b.second;
        const size_t la = a.first.first.size() + a.first.second.size(), lb = b.first.first.size() + b.first.second.size();
        return la != lb ? la < lb : a.first < b.first;
    });
    const std::string from(best->first.first), to(best->first.second);
    const size_t fixed = best->second;
    // One name fixed by chance is not a prefix; unless it is all there is.
    if (fixed < 2 && fixed < std::min(unexpected.size(), missing.size())) return std::nullopt;
    FixProposal p;
    p.kind = FixProposal::Kind::Prefix;
    Rule rule;
    rule.action = Rule::Action::Rename;
    rule.prefix = from;
    rule.to = to;
    size_t affected = 0;
    if (from.empty()) { // add: only to names that do not have it yet
        Matcher notPrefixed;
        notPrefixed.kind = Matcher::Kind::Not;
        Matcher has;
        has.kind = Matcher::Kind::Prefix;
        has.text = to;
        notPrefixed.children.push_back(has);
        rule.match = notPrefixed;
        affected = unexpected.size();
        p.reason = "add '" + to + "': " + std::to_string(fixed) + " of " + std::to_string(affected) +
                   " unexpected names then match the target";
    } else {
        for (const auto &e : r.entries)
            affected += e.status != CompareEntry::Status::Missing && e.name.starts_with(from);
        p.reason = (to.empty() ? "strip '" + from + "'" : "replace '" + from + "' by '" + to + "'") + ": " +
                   std::to_string(fixed) + " of " + std::to_string(affected) + " names with it then match the target";
    }
    p.confidence = double(fixed) / double(std::max<size_t>(affected, 1));
    p.rules.push_back(rule);
    return p;
}

std::string lastPart(const std::string &name)
{
    const size_t dot = name.rfind('.');
    return dot == std::string::npos ? name : name.substr(dot + 1);
}

/// What stays unexpected and missing, paired one to one by shape (and kind of dtype), in
/// the order both sides list them.
std::vector<FixProposal> renameFixes(const CompareReport &r)
{
    using Key = std::pair<std::vector<int64_t>, bool>; // shape, floating
    std::map<Key, std::vector<const CompareEntry *>> from, to;
    for (const auto &e : r.entries) {
        if (e.status == CompareEntry::Status::Unexpected && e.input >= 0)
            from[{e.checkpointShape, isFloatingPoint(e.checkpointDtype)}].push_back(&e);
        if (e.status == CompareEntry::Status::Missing)
            to[{e.targetShape, e.targetDtype == DType::Unknown || isFloatingPoint(e.targetDtype)}].push_back(&e);
    }
    std::vector<std::pair<size_t, FixProposal>> out; // by the checkpoint's order
    for (const auto &[key, sources] : from) {
        const auto it = to.find(key);
        if (it == to.end() || it->second.size() != sources.size()) continue; // ambiguous: no guess
        const auto &targets = it->second;
        for (size_t k = 0; k < sources.size(); ++k) {
            const CompareEntry &a = *sources[k], &b = *targets[k];
            FixProposal p;
            p.kind = FixProposal::Kind::Rename;
            const bool unique = sources.size() == 1;
            const bool sameLeaf = lastPart(a.name) == lastPart(b.name);
            p.confidence = (unique ? 0.9 : 0.7) * (sameLeaf ? 1.0 : 0.6);
            p.reason = a.name + " -> " + b.name + ": " + (unique ? "the only" : "in order among " + std::to_string(sources.size())) +
                       " " + shapeText(key.first) + " tensors" + (sameLeaf ? "" : " (the last name parts differ)");
            Rule rule;
            rule.action = Rule::Action::Rename;
            rule.regex = "^" + RE2::QuoteMeta(a.name) + "$";
            rule.to = literalReplacement(b.name);
            p.rules.push_back(rule);
            out.emplace_back(size_t(&a - r.entries.data()), std::move(p));
        }
    }
    std::sort(out.begin(), out.end(), [](const auto &x, const auto &y) { return x.first < y.first; });
    std::vector<FixProposal> result;
    for (auto &[_, p] : out) result.push_back(std::move(p));
    return result;
}

bool nameHints(const std::string &name, std::initializer_list<const char *> hints)
{
    for (const char *h : hints)
        if (name.find(h) != std::string::npos) return true;
    return false;
}

Rule resizeRule(const CompareEntry &e, const std::string &method)
{
    Rule r;
    r.action = Rule::Action::Resize;
    r.match = nameMatcher(e.name);
    r.shape = e.targetShape;
    r.method = method;
    return r;
}

/// Shape mismatches that have a known way to change the data; others are left to fill
/// from the target (when it carries values) or listed.
std::vector<FixProposal> resizeFixes(const std::vector<PlanInput> &inputs, const CompareReport &r,
                                     const TargetArchitecture &target)
{
    std::vector<FixProposal> out;
    for (const auto &e : r.entries) {
        if (e.status != CompareEntry::Status::ShapeMismatch || e.input < 0) continue;
        const DType dtype = inputs[size_t(e.input)].dtype;
        const std::vector<int64_t> &from = inputs[size_t(e.input)].shape;
        FixProposal p;
        p.kind = FixProposal::Kind::Resize;
        const std::string change = shapeText(e.checkpointShape) + " -> " + shapeText(e.targetShape);
        if (nameHints(e.name, {"pos_embed", "position_embedding", "pos_embedding", "absolute_pos"})) {
            for (int64_t tokens : {1, 0, 2, 3, 4, 5, 6, 7, 8}) {
                Rule rule = resizeRule(e, "pos_embed");
                rule.prefixTokens = tokens;
                if (!resizeProblem(rule, from, dtype).empty()) continue;
                p.rules.push_back(rule);
                p.confidence = tokens <= 1 ? 0.9 : 0.6;
                p.reason = e.name + " " + change + ": position embeddings resampled bicubically to the new grid, " +
                           std::to_string(tokens) + " prefix token" + (tokens == 1 ? "" : "s") + " kept aside";
                break;
            }
        } else if (nameHints(e.name, {"relative_position_bias_table"})) {
            Rule rule = resizeRule(e, "rel_pos_table");
            // Integers are indices or counters: padding them invents meaning; take the target's.
            if (isFloatingPoint(dtype) && resizeProblem(rule, from, dtype).empty()) {
                p.rules.push_back(rule);
                p.confidence = 0.9;
                p.reason = e.name + " " + change + ": relative position bias table resampled bicubically";
            }
        }
        if (p.rules.empty()) {
            Rule rule = resizeRule(e, "rows");
            rule.fill = from.size() >= 2 ? "normal" : "zeros";
            const TargetTensor *t = e.target >= 0 ? &target.tensors[size_t(e.target)] : nullptr;
            const bool fromTarget = t && t->entry >= 0 && target.values;
            // Integers are indices or counters: padding them invents meaning; take the target's.
            if (isFloatingPoint(dtype) && resizeProblem(rule, from, dtype).empty()) {
                p.rules.push_back(rule);
                const bool grow = e.targetShape[0] > e.checkpointShape[0];
                p.confidence = 0.7;
                p.reason = e.name + " " + change + ": " +
                           (grow ? "new rows " + std::string(rule.fill == "normal" ? "drawn from a normal with the existing rows' std" : "of zeros")
                                 : std::string("rows past ") + std::to_string(e.targetShape[0]) + " cut off");
            } else if (fromTarget) {
                // The target holds a freshly initialised tensor of the right shape (a new
                // classifier, a relative position index): take it.
                Rule drop;
                drop.action = Rule::Action::Drop;
                drop.match = nameMatcher(e.name);
                Rule add;
                add.action = Rule::Action::Add;
                add.name = e.name;
                add.shape = t->shape;
                add.castTo = t->dtype;
                add.fill = "target";
                add.source = target.path;
                p.kind = FixProposal::Kind::Fill;
                p.rules = {drop, add};
                p.confidence = 0.6;
                p.reason = e.name + " " + change + ": replaced by the target's own (initial) values";
            }
        }
        if (!p.rules.empty()) out.push_back(std::move(p));
    }
    return out;
}

std::optional<FixProposal> dropFix(const CompareReport &r)
{
    std::vector<std::string> names;
    for (const auto &e : r.entries)
        if (e.status == CompareEntry::Status::Unexpected && e.input >= 0) names.push_back(e.name);
    if (names.empty()) return std::nullopt;
    FixProposal p;
    p.kind = FixProposal::Kind::Drop;
    Rule rule;
    rule.action = Rule::Action::Drop;
    rule.match = namesMatcher(names);
    p.rules.push_back(rule);
    p.confidence = 0.8;
    p.reason = "drop " + std::to_string(names.size()) + " name" + (names.size() == 1 ? "" : "s") +
               " the target does not have (" + names.front() + (names.size() > 1 ? ", ..." : "") + ")";
    return p;
}

std::vector<FixProposal> fillFixes(const CompareReport &r, const TargetArchitecture &target)
{
    std::vector<FixProposal> out;
    if (!target.values) return out;
    for (const auto &e : r.entries) {
        if (e.status != CompareEntry::Status::Missing) continue;
        const TargetTensor &t = target.tensors[size_t(e.target)];
        if (t.entry < 0) continue;
        FixProposal p;
        p.kind = FixProposal::Kind::Fill;
        Rule add;
        add.action = Rule::Action::Add;
        add.name = t.name;
        add.shape = t.shape;
        add.castTo = t.dtype;
        add.fill = "target";
        add.source = target.path;
        p.rules.push_back(add);
        p.confidence = t.kind == TargetTensor::Kind::Buffer ? 0.9 : 0.6;
        p.reason = t.name + " is missing: taken from the target's own " +
                   (t.kind == TargetTensor::Kind::Buffer ? "buffer" : "(initial) values");
        out.push_back(std::move(p));
    }
    return out;
}

std::vector<FixProposal> castFixes(const std::vector<PlanInput> &inputs, const Plan &plan, const CompareReport &r)
{
    std::map<std::pair<DType, DType>, std::vector<std::string>> byPair;
    std::map<DType, size_t> kept; // tensors of each dtype that stay
    for (size_t i = 0; i < inputs.size(); ++i)
        if (!plan.tensors[i].dropped) ++kept[inputs[i].dtype];
    for (const auto &e : r.entries)
        if (e.status == CompareEntry::Status::DtypeDiffers && e.input >= 0 && isFloatingPoint(e.checkpointDtype) &&
            isFloatingPoint(e.targetDtype))
            byPair[{inputs[size_t(e.input)].dtype, e.targetDtype}].push_back(e.name);
    std::vector<FixProposal> out;
    for (const auto &[pair, names] : byPair) {
        FixProposal p;
        p.kind = FixProposal::Kind::Cast;
        Rule rule;
        rule.action = Rule::Action::Cast;
        rule.castTo = pair.second;
        if (names.size() == kept[pair.first]) {
            Matcher m;
            m.kind = Matcher::Kind::Dtype;
            m.dtype = pair.first;
            rule.match = m;
        } else {
            rule.match = namesMatcher(names);
        }
        p.rules.push_back(rule);
        p.confidence = 0.9;
        p.reason = std::to_string(names.size()) + " " + std::string(dtypeName(pair.first)) + " tensor" +
                   (names.size() == 1 ? "" : "s") + " cast to the target's " + std::string(dtypeName(pair.second));
        out.push_back(std::move(p));
    }
    return out;
}

} // namespace

namespace {

std::vector<FixProposal> proposeFixes(const std::vector<PlanInput> &inputs, const RuleSet &rules, const Plan &plan,
                                      const CompareReport &report, const TargetArchitecture &target,
                                      const ModuleVersions &versions, Kinship *kinship, bool layouts)
{
    std::vector<FixProposal> out;
    RuleSet working = rules;
    auto take = [&](std::vector<FixProposal> more) {
        for (auto &p : more) {
            working.rules.insert(working.rules.end(), p.rules.begin(), p.rules.end());
            out.push_back(std::move(p));
        }
    };
    // The plan and report for the rules taken so far: the caller's until a proposal adds a
    // rule, then evaluated again only when one did.
    const Plan *currentPlan = &plan;
    const CompareReport *current = &report;
    State latest;
    size_t evaluated = working.rules.size();
    auto refresh = [&] {
        if (working.rules.size() == evaluated) return;
        latest = evaluate(inputs, working, target, versions);
        currentPlan = &latest.plan;
        current = &latest.report;
        evaluated = working.rules.size();
    };
    // Layouts first: "blocks.0." is a prefix to replace by "blocks." only when no stack says
    // better; and again once prefixes aligned the names ("module.blocks.0.w" -> "blocks.w").
    if (layouts) take(layoutFixes(*current));
    refresh();
    for (int round = 0; round < 4; ++round) { // module. then _orig_mod., for example
        auto p = prefixFix(*current);
        if (!p) break;
        take({std::move(*p)});
        refresh();
    }
    if (layouts) take(layoutFixes(*current));
    refresh();
    take(renameFixes(*current));
    refresh();
    Kinship kin;
    kin.counterparts = current->matches + current->dtypeDiffers + current->shapeMismatches;
    kin.checkpointTensors = kin.counterparts + current->unexpected;
    kin.targetTensors = kin.counterparts + current->missing;
    if (kinship) *kinship = kin;
    if (kin.differentModels()) return {};
    take(resizeFixes(inputs, *current, target));
    if (auto drop = dropFix(*current)) take({std::move(*drop)});
    refresh();
    take(fillFixes(*current, target));
    refresh();
    take(castFixes(inputs, *currentPlan, *current));
    return out;
}

} // namespace

std::vector<FixProposal> proposeFixes(const std::vector<PlanInput> &inputs, const RuleSet &rules, const Plan &plan,
                                      const CompareReport &report, const TargetArchitecture &target,
                                      const ModuleVersions &versions, Kinship *kinship)
{
    // A layout proposal between different models (a Swin's qkv against a ViT's in_proj) says
    // nothing: the verdict is then the one without layouts, as the names alone give it.
    Kinship kin;
    auto out = proposeFixes(inputs, rules, plan, report, target, versions, &kin, true);
    if (kin.differentModels()) out = proposeFixes(inputs, rules, plan, report, target, versions, &kin, false);
    if (kinship) *kinship = kin;
    return out;
}

} // namespace ckpt
