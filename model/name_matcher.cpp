#include "name_matcher.h"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>

namespace ckpt {
namespace {

std::string lower(std::string_view s)
{
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    return out;
}

} // namespace

struct NameMatcher::Compiled
{
    explicit Compiled(const std::string &regex, const RE2::Options &options) : re(regex, options) {}
    RE2 re;
};

NameMatcher::NameMatcher(Mode mode, std::string pattern, std::unique_ptr<Compiled> compiled)
    : m_mode(mode), m_pattern(std::move(pattern)), m_lowered(lower(m_pattern)),
      m_compiled(std::move(compiled))
{
}

NameMatcher::NameMatcher(NameMatcher &&) noexcept = default;
NameMatcher &NameMatcher::operator=(NameMatcher &&) noexcept = default;
NameMatcher::~NameMatcher() = default;

// fnmatch.translate: '*' -> '.*', '?' -> '.', '[...]' a class ('!' negates, a leading ']'
// is literal, an unclosed '[' is literal), everything else literal; the whole name must match.
std::string NameMatcher::globToRegex(std::string_view g)
{
    std::string out;
    for (size_t i = 0; i < g.size(); ++i) {
        const char c = g[i];
        if (c == '*') {
            if (out.size() < 2 || out.compare(out.size() - 2, 2, ".*") != 0) out += ".*";
        } else if (c == '?') {
            out += '.';
        } else if (c == '[') {
            size_t j = i + 1;
            if (j < g.size() && g[j] == '!') ++j;
            if (j < g.size() && g[j] == ']') ++j;
            while (j < g.size() && g[j] != ']') ++j;
            if (j >= g.size()) {
                out += "\\[";
                continue;
            }
            std::string_view body = g.substr(i + 1, j - i - 1);
            std::string cls = "[";
            if (!body.empty() && body[0] == '!') {
                cls += '^';
                body.remove_prefix(1);
            } else if (!body.empty() && body[0] == '^') {
                cls += "\\^";
                body.remove_prefix(1);
            }
            for (char b : body) {
                if (b == '\\' || b == '[' || b == ']') cls += '\\';
                cls += b;
            }
            out += cls + "]";
            i = j;
        } else {
            out += RE2::QuoteMeta(std::string_view(&c, 1));
        }
    }
    return out;
}

Result<NameMatcher> NameMatcher::create(Mode mode, const std::string &pattern)
{
    if (mode == Mode::Substring) return NameMatcher(mode, pattern, nullptr);
    RE2::Options options;
    options.set_log_errors(false);
    options.set_dot_nl(true);
    const std::string regex = mode == Mode::Glob ? globToRegex(pattern) : pattern;
    auto compiled = std::make_unique<Compiled>(regex, options);
    if (!compiled->re.ok()) return Error{"invalid regular expression: " + compiled->re.error()};
    return NameMatcher(mode, pattern, std::move(compiled));
}

bool NameMatcher::matches(std::string_view name) const
{
    switch (m_mode) {
    case Mode::Substring:
        return m_lowered.empty() || lower(name).find(m_lowered) != std::string::npos;
    case Mode::Glob: return RE2::FullMatch(name, m_compiled->re);
    case Mode::Regex: return RE2::PartialMatch(name, m_compiled->re);
    }
    return false;
}

} // namespace ckpt
