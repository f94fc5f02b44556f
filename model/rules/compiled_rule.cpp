#include "model/rules/compiled_rule.h"

#include "model/base/name_bytes.h"

#include <algorithm>
#include <stdexcept>

namespace ckpt {
namespace {

Regex compileRegex(const std::string &pattern, const std::string &field)
{
    auto re = Regex::create(pattern, {});
    if (!re) throw std::runtime_error(field + ": invalid regular expression: " + re.error().message);
    return std::move(*re);
}

NameMatcher compileGlob(const std::string &glob, const std::string &field)
{
    // Python refuses the same globs ("[z-a]": bad character range).
    auto m = NameMatcher::create(NameMatcher::Mode::Glob, glob);
    if (!m) throw std::runtime_error(field + ": '" + glob + "': " + m.error().message);
    return std::move(m.value());
}

CompiledMatcher compileMatcher(const Matcher &m, const RuleSet &set, const std::string &field)
{
    CompiledMatcher c;
    c.kind = m.kind;
    c.source = &m;
    switch (m.kind) {
    case Matcher::Kind::Glob: c.globs.push_back(compileGlob(m.text, field + ".glob")); break;
    case Matcher::Kind::Regex: c.regex = compileRegex(m.text, field + ".regex"); break;
    case Matcher::Kind::Alias: {
        const auto it = std::find_if(set.aliases.begin(), set.aliases.end(),
                                     [&](const auto &a) { return a.first == m.text; });
        if (it == set.aliases.end())
            throw std::runtime_error(field + ".alias: no alias named '" + m.text + "'");
        for (const auto &glob : it->second) c.globs.push_back(compileGlob(glob, field + ".alias"));
        break;
    }
    case Matcher::Kind::Type: {
        if (set.types.empty())
            throw std::runtime_error(field + ".type: the config needs \"types\": a TorchScript archive or a manifest "
                                             "with module_type that names the module classes");
        auto types = moduleTypes(set.types);
        if (!types) throw std::runtime_error("types: " + set.types + ": " + types.error().message);
        c.types = *types;
        break;
    }
    case Matcher::Kind::All:
    case Matcher::Kind::Any:
    case Matcher::Kind::Not: {
        const char *key = m.kind == Matcher::Kind::All ? ".all" : m.kind == Matcher::Kind::Any ? ".any" : ".not";
        for (size_t i = 0; i < m.children.size(); ++i) {
            std::string child = field + key;
            if (m.kind != Matcher::Kind::Not) child.append("[").append(std::to_string(i)).append("]");
            c.children.push_back(compileMatcher(m.children[i], set, child));
        }
        break;
    }
    default: break;
    }
    return c;
}

} // namespace

uint64_t selectTensors(const CompiledMatcher &c, const PlanInput *inputs, const std::string_view *names,
                       uint64_t candidates)
{
    const Matcher &m = *c.source;
    // The test of this kind, on each candidate in turn.
    auto keep = [candidates](auto &&test) {
        uint64_t kept = 0;
        for (uint64_t bits = candidates; bits; bits &= bits - 1) {
            const int i = __builtin_ctzll(bits);
            kept |= uint64_t(test(i)) << i;
        }
        return kept;
    };
    switch (c.kind) {
    case Matcher::Kind::Glob:
    case Matcher::Kind::Alias:
        return keep([&](int i) {
            return std::any_of(c.globs.begin(), c.globs.end(), [&](const NameMatcher &g) { return g.matches(names[i]); });
        });
    case Matcher::Kind::Regex: return keep([&](int i) { return c.regex->matches(names[i]); });
    case Matcher::Kind::Name: return keep([&](int i) { return sameName(names[i], m.text); });
    case Matcher::Kind::Prefix: return keep([&](int i) { return startsWith(names[i], m.text); });
    case Matcher::Kind::Suffix: return keep([&](int i) { return endsWith(names[i], m.text); });
    case Matcher::Kind::Module:
        return keep([&](int i) {
            const std::string_view name = names[i];
            return sameName(name, m.text) ||
                   (name.size() > m.text.size() && name[m.text.size()] == '.' && startsWith(name, m.text));
        });
    case Matcher::Kind::Type:
        return keep([&](int i) {
            const auto it = c.types->find(std::string(moduleOfName(names[i])));
            return it != c.types->end() && it->second == m.text;
        });
    case Matcher::Kind::Ndim: return keep([&](int i) { return int64_t(inputs[i].shape.size()) == m.ndim; });
    case Matcher::Kind::Dtype: return keep([&](int i) { return inputs[i].dtype == m.dtype; });
    case Matcher::Kind::Shape:
        return keep([&](int i) {
            const auto &shape = inputs[i].shape;
            if (shape.size() != m.shape.size()) return false;
            for (size_t d = 0; d < m.shape.size(); ++d)
                if (m.shape[d] && *m.shape[d] != shape[d]) return false;
            return true;
        });
    case Matcher::Kind::Numel:
        return keep([&](int i) {
            return (!m.min || inputs[i].numel >= *m.min) && (!m.max || inputs[i].numel <= *m.max);
        });
    case Matcher::Kind::All:
        for (const auto &child : c.children) {
            if (!candidates) break;
            candidates = selectTensors(child, inputs, names, candidates);
        }
        return candidates;
    case Matcher::Kind::Any: {
        uint64_t selected = 0;
        for (const auto &child : c.children) {
            if (!candidates) break;
            const uint64_t hit = selectTensors(child, inputs, names, candidates);
            selected |= hit;
            candidates &= ~hit;
        }
        return selected;
    }
    case Matcher::Kind::Not:
        return c.children.empty() ? 0 : candidates & ~selectTensors(c.children.front(), inputs, names, candidates);
    }
    return 0;
}

CompiledRule compileRule(const Rule &r, const RuleSet &set, const std::string &field)
{
    CompiledRule c;
    c.rule = &r;
    if (r.match) c.match = compileMatcher(*r.match, set, field + ".match");
    if (r.action == Rule::Action::Rename && !r.regex.empty()) {
        c.renameRegex = compileRegex(r.regex, field + ".regex");
        auto replacement = Replacement::parse(r.to, *c.renameRegex);
        if (!replacement) throw std::runtime_error(field + ".to: " + replacement.error().message);
        c.replacement = std::move(*replacement);
    }
    return c;
}

bool substitute(const Regex &re, const Replacement &replacement, std::string_view text, std::string &out)
{
    Regex::Span groups[Regex::kMaxGroups];
    const std::span<Regex::Span> wanted(groups, replacement.groupsNeeded());
    // As Python's sub does it: the next search starts where the match ended; after an empty
    // match it must not find that empty match again (it may find a longer one there).
    size_t copied = 0, pos = 0;
    bool any = false, afterEmpty = false;
    out.clear();
    while (pos <= text.size() && re.find(text, pos, wanted, afterEmpty)) {
        const size_t begin = groups[0].begin;
        const size_t end = groups[0].end;
        any = true;
        out.append(text.substr(copied, begin - copied));
        replacement.appendTo(out, text, wanted);
        copied = pos = end;
        afterEmpty = end == begin;
        if (re.anchoredAtStart() && !afterEmpty) break; // it cannot match anywhere but at 0
    }
    if (any) out.append(text.substr(copied));
    return any;
}

bool mayUseRe2(const Matcher &m)
{
    if (m.kind == Matcher::Kind::Regex || m.kind == Matcher::Kind::Glob || m.kind == Matcher::Kind::Alias) return true;
    return std::any_of(m.children.begin(), m.children.end(), mayUseRe2);
}

} // namespace ckpt
