#include "model/compare/layout_fixes.h"

#include "model/checkpoint/checkpoint_summary.h"
#include "model/match/regex.h"
#include "model/match/replacement.h"

#include <algorithm>
#include <map>
#include <set>

namespace ckpt {
namespace {

std::vector<std::string> parts(const std::string &name)
{
    std::vector<std::string> out;
    size_t start = 0;
    for (size_t dot; (dot = name.find('.', start)) != std::string::npos; start = dot + 1) out.push_back(name.substr(start, dot - start));
    out.push_back(name.substr(start));
    return out;
}

std::string joined(const std::vector<std::string> &p, size_t from, size_t to)
{
    std::string out;
    for (size_t i = from; i < to; ++i) out += (i > from ? "." : "") + p[i];
    return out;
}

bool isIndex(const std::string &s)
{
    return !s.empty() && s.size() < 9 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// A name with one numeric component taken out: where it was and which index it held.
struct Indexed
{
    std::string prefix, suffix; ///< the components before and after it
    int64_t index = 0;
    const CompareEntry *entry = nullptr;
};

std::string withoutIndex(const Indexed &x)
{
    return x.prefix.empty() ? x.suffix : x.prefix + "." + x.suffix;
}

std::vector<Indexed> indexedForms(const CompareEntry *e)
{
    std::vector<Indexed> out;
    const auto p = parts(e->name);
    for (size_t j = 0; j + 1 < p.size(); ++j)
        if (isIndex(p[j])) out.push_back({joined(p, 0, j), joined(p, j + 1, p.size()), std::stoll(p[j]), e});
    return out;
}

/// Whether `members` hold every index 0..N-1 once, N = `count`.
bool complete(const std::vector<Indexed> &members, int64_t count)
{
    if (int64_t(members.size()) != count) return false;
    std::vector<bool> seen(static_cast<size_t>(count));
    for (const auto &m : members) {
        if (m.index >= count || seen[size_t(m.index)]) return false;
        seen[size_t(m.index)] = true;
    }
    return true;
}

std::vector<int64_t> tail(const std::vector<int64_t> &shape)
{
    return shape.empty() ? shape : std::vector<int64_t>(shape.begin() + 1, shape.end());
}

void stacks(const std::vector<const CompareEntry *> &unexpected, const std::map<std::string, const CompareEntry *> &missing,
            std::set<const CompareEntry *> &used, std::vector<FixProposal> &out)
{
    std::map<std::string, std::vector<Indexed>> groups; // by the name without the index
    for (const auto *e : unexpected)
        for (const auto &x : indexedForms(e))
            if (missing.count(withoutIndex(x))) groups[withoutIndex(x)].push_back(x);
    std::map<std::string, std::vector<std::string>> byPrefix; // prefix -> suffixes stacked
    std::map<std::string, size_t> counts;
    for (const auto &group : groups) {
        const std::vector<Indexed> &members = group.second; // not a structured binding: lambdas capture it
        const CompareEntry *t = missing.at(group.first);
        if (t->targetShape.empty() || !complete(members, t->targetShape[0])) continue;
        if (std::any_of(members.begin(), members.end(), [&](const Indexed &m) {
                return used.count(m.entry) || m.entry->checkpointShape != tail(t->targetShape) ||
                       m.entry->checkpointDtype != members[0].entry->checkpointDtype;
            }))
            continue;
        for (const auto &m : members) used.insert(m.entry);
        used.insert(t);
        byPrefix[members[0].prefix].push_back(members[0].suffix);
        counts[members[0].prefix] += members.size();
    }
    for (const auto &[prefix, suffixes] : byPrefix) {
        std::string alternatives;
        for (size_t i = 0; i < suffixes.size(); ++i) {
            if (i) alternatives += '|';
            alternatives += regexQuoted(suffixes[i]);
        }
        Rule r;
        r.action = Rule::Action::Stack;
        std::string head = "^";
        if (!prefix.empty()) head.append(regexQuoted(prefix)).append("\\.");
        r.match = textMatcher(Matcher::Kind::Regex, head + "(\\d+)\\.(" + alternatives + ")$");
        r.to = (prefix.empty() ? "" : literalReplacement(prefix) + ".") + "\\2";
        r.key = "\\1";
        FixProposal p;
        p.kind = FixProposal::Kind::Stack;
        p.rules.push_back(std::move(r));
        p.confidence = 0.9;
        p.reason = std::to_string(counts[prefix]) + " per-index tensors under " + (prefix.empty() ? "the root" : prefix) +
                   " stacked into the target's " + std::to_string(suffixes.size()) + " (their index first)";
        out.push_back(std::move(p));
    }
}

void unstacks(const std::vector<const CompareEntry *> &unexpected, const std::vector<const CompareEntry *> &missingList,
              std::set<const CompareEntry *> &used, std::vector<FixProposal> &out)
{
    std::map<std::string, std::vector<Indexed>> groups; // missing names by the name without the index
    for (const auto *e : missingList)
        for (const auto &x : indexedForms(e)) groups[withoutIndex(x)].push_back(x);
    FixProposal p;
    p.kind = FixProposal::Kind::Unstack;
    size_t made = 0;
    for (const auto *u : unexpected) {
        const auto it = groups.find(u->name);
        if (it == groups.end() || used.count(u) || u->checkpointShape.empty()) continue;
        const auto &members = it->second;
        if (!complete(members, u->checkpointShape[0]) ||
            std::any_of(members.begin(), members.end(), [&](const Indexed &m) {
                return used.count(m.entry) || m.entry->targetShape != tail(u->checkpointShape) || m.prefix != members[0].prefix;
            }))
            continue;
        Rule r;
        r.action = Rule::Action::Unstack;
        r.match = textMatcher(Matcher::Kind::Name, u->name);
        const Indexed &m = members[0];
        r.to = (m.prefix.empty() ? "" : literalReplacement(m.prefix) + ".") + "{i}." + literalReplacement(m.suffix);
        p.rules.push_back(std::move(r));
        used.insert(u);
        for (const auto &x : members) used.insert(x.entry);
        made += members.size();
    }
    if (p.rules.empty()) return;
    p.confidence = 0.9;
    p.reason = std::to_string(p.rules.size()) + " stacked tensor" + (p.rules.size() == 1 ? "" : "s") + " unstacked into the target's " +
               std::to_string(made) + " per-index ones";
    out.push_back(std::move(p));
}

/// Of `candidates` (at most 8), the largest subset whose first dims sum to `size` (rest equal
/// to `rest`), in their order.
std::vector<const CompareEntry *> summing(const std::vector<const CompareEntry *> &candidates, int64_t size,
                                          const std::vector<int64_t> &rest, bool targetSide)
{
    std::vector<const CompareEntry *> best;
    const size_t n = std::min<size_t>(candidates.size(), 8);
    for (uint32_t mask = 1; mask < (1u << n); ++mask) {
        std::vector<const CompareEntry *> pick;
        int64_t sum = 0;
        bool ok = true;
        for (size_t i = 0; i < n && ok; ++i) {
            if (!(mask >> i & 1)) continue;
            const auto &shape = targetSide ? candidates[i]->targetShape : candidates[i]->checkpointShape;
            ok = !shape.empty() && tail(shape) == rest;
            sum += ok ? shape[0] : 0;
            pick.push_back(candidates[i]);
        }
        if (ok && sum == size && pick.size() >= 2 && pick.size() > best.size()) best = pick;
    }
    return best;
}

/// Where a part goes in the fused tensors models use (q, k, v; query, key, value; gate, up);
/// -1 for a part of no known order.
int fusedRank(std::string part)
{
    if (part.ends_with("_proj")) part.resize(part.size() - 5);
    static const std::pair<const char *, int> kRanks[] = {{"q", 0}, {"query", 0}, {"k", 1}, {"key", 1}, {"v", 2},
                                                          {"value", 2}, {"gate", 0}, {"up", 1}};
    for (const auto &[name, rank] : kRanks)
        if (part == name) return rank;
    return -1;
}

/// "a.b.qkv.weight" -> ("a.b", "qkv", "weight").
bool fusedParts(const std::string &name, std::string &parent, std::string &part, std::string &leaf)
{
    const auto p = parts(name);
    if (p.size() < 2) return false;
    parent = joined(p, 0, p.size() - 2);
    part = p[p.size() - 2];
    leaf = p.back();
    return true;
}

void fusedOrder(std::vector<const CompareEntry *> &pick)
{
    auto rank = [](const CompareEntry *e) {
        std::string parent, part, leaf;
        return fusedParts(e->name, parent, part, leaf) ? fusedRank(part) : -1;
    };
    if (std::all_of(pick.begin(), pick.end(), [&](const CompareEntry *e) { return rank(e) >= 0; }))
        std::stable_sort(pick.begin(), pick.end(), [&](const CompareEntry *a, const CompareEntry *b) { return rank(a) < rank(b); });
}

void splitsAndConcats(const std::vector<const CompareEntry *> &unexpected, const std::vector<const CompareEntry *> &missing,
                      std::set<const CompareEntry *> &used, std::vector<FixProposal> &out)
{
    auto siblings = [&](const std::vector<const CompareEntry *> &pool, const std::string &parent, const std::string &leaf) {
        std::vector<const CompareEntry *> s;
        for (const auto *e : pool) {
            std::string p, part, l;
            if (!used.count(e) && fusedParts(e->name, p, part, l) && p == parent && l == leaf) s.push_back(e);
        }
        return s;
    };
    FixProposal split, concat;
    split.kind = FixProposal::Kind::Split;
    concat.kind = FixProposal::Kind::Concat;
    for (const auto *u : unexpected) { // one fused tensor in the checkpoint, its parts in the target
        std::string parent, part, leaf;
        if (used.count(u) || u->checkpointShape.empty() || !fusedParts(u->name, parent, part, leaf)) continue;
        auto pick = summing(siblings(missing, parent, leaf), u->checkpointShape[0], tail(u->checkpointShape), true);
        if (pick.empty()) continue;
        fusedOrder(pick);
        Rule r;
        r.action = Rule::Action::Split;
        r.match = textMatcher(Matcher::Kind::Name, u->name);
        for (const auto *m : pick) r.parts.push_back({literalReplacement(m->name), m->targetShape[0]});
        split.rules.push_back(std::move(r));
        used.insert(u);
        used.insert(pick.begin(), pick.end());
    }
    for (const auto *t : missing) { // the parts in the checkpoint, one fused tensor in the target
        std::string parent, part, leaf;
        if (used.count(t) || t->targetShape.empty() || !fusedParts(t->name, parent, part, leaf)) continue;
        auto pick = summing(siblings(unexpected, parent, leaf), t->targetShape[0], tail(t->targetShape), false);
        if (pick.empty()) continue;
        fusedOrder(pick);
        Rule r;
        r.action = Rule::Action::Concat;
        std::string alternatives;
        for (const auto *m : pick) {
            std::string p, mpart, l;
            fusedParts(m->name, p, mpart, l);
            if (!r.order.empty()) alternatives += '|';
            alternatives += regexQuoted(mpart);
            r.order.push_back(mpart);
        }
        std::string pattern = "^";
        if (!parent.empty()) pattern.append(regexQuoted(parent)).append("\\.");
        pattern.append("(").append(alternatives).append(")\\.").append(regexQuoted(leaf)).append("$");
        r.match = textMatcher(Matcher::Kind::Regex, pattern);
        r.to = literalReplacement(t->name);
        r.key = "\\1";
        concat.rules.push_back(std::move(r));
        used.insert(t);
        used.insert(pick.begin(), pick.end());
    }
    for (auto *p : {&split, &concat}) {
        if (p->rules.empty()) continue;
        p->confidence = 0.7; // which rows belong to which part is the usual q, k, v order, not proven
        p->reason = std::to_string(p->rules.size()) +
                    (p == &split ? " fused tensor(s) split along axis 0 into the target's parts (q, k, v or gate, up order where the names say it, else the target's)"
                                 : " group(s) of parts concatenated along axis 0 into the target's fused tensor (q, k, v or gate, up order where the names say it, else the checkpoint's)");
        out.push_back(std::move(*p));
    }
}

} // namespace

std::vector<FixProposal> layoutFixes(const CompareReport &r)
{
    const auto unexpected = entriesWithStatus(r, CompareEntry::Status::Unexpected);
    const auto missingList = entriesWithStatus(r, CompareEntry::Status::Missing);
    std::map<std::string, const CompareEntry *> missing;
    for (const auto *e : missingList) missing.emplace(e->name, e);
    std::vector<FixProposal> out;
    if (unexpected.empty() || missing.empty()) return out;
    std::set<const CompareEntry *> used;
    stacks(unexpected, missing, used, out);
    unstacks(unexpected, missingList, used, out);
    splitsAndConcats(unexpected, missingList, used, out);
    return out;
}

} // namespace ckpt
