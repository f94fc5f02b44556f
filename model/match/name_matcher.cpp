#include "model/match/name_matcher.h"

#include "model/base/name_bytes.h"
#include "model/match/regex.h"

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

/// fnmatch for a pattern whose only wildcard is '*': the first piece starts the name, the
/// last ends it, the ones between occur in order (leftmost first is always safe) in the rest.
bool matchStarPieces(const std::vector<std::string> &pieces, std::string_view name)
{
    if (pieces.size() == 1) return sameName(name, pieces.front());
    const std::string &first = pieces.front();
    const std::string &last = pieces.back();
    if (name.size() < first.size() + last.size() || !startsWith(name, first) || !endsWith(name, last))
        return false;
    std::string_view middle = name.substr(first.size(), name.size() - first.size() - last.size());
    for (size_t i = 1; i + 1 < pieces.size(); ++i) {
        const size_t at = middle.find(pieces[i]);
        if (at == std::string_view::npos) return false;
        middle.remove_prefix(at + pieces[i].size());
    }
    return true;
}

std::vector<std::string> splitStars(const std::string &glob)
{
    std::vector<std::string> pieces(1);
    for (char c : glob) {
        if (c == '*') pieces.emplace_back();
        else pieces.back() += c;
    }
    return pieces;
}

/// A glob's "[...]" body as fnmatch.translate reads it: '-' between two characters is a range,
/// reversed ranges ("z-a") are removed, a leading '!' negates, everything else is literal.
std::string classToRegex(std::string_view body)
{
    std::vector<std::string> chunks; // the text between range hyphens
    if (body.find('-') == std::string_view::npos) {
        chunks.emplace_back(body);
    } else {
        size_t start = 0;
        size_t k = !body.empty() && body[0] == '!' ? 2 : 1;
        while (k < body.size()) {
            k = body.find('-', k);
            if (k == std::string_view::npos) break;
            chunks.emplace_back(body.substr(start, k - start));
            start = k + 1;
            k += 3;
        }
        if (start < body.size()) chunks.emplace_back(body.substr(start));
        else chunks.back() += '-';
        // A reversed range "z-a" goes, with its two ends (bytes: exact for ASCII ranges).
        auto byte = [](char c) { return static_cast<unsigned char>(c); };
        for (size_t k = chunks.size() - 1; k > 0; --k)
            if (!chunks[k - 1].empty() && !chunks[k].empty() && byte(chunks[k - 1].back()) > byte(chunks[k].front())) {
                chunks[k - 1] = chunks[k - 1].substr(0, chunks[k - 1].size() - 1) + chunks[k].substr(1);
                chunks.erase(chunks.begin() + std::ptrdiff_t(k));
            }
    }
    if (chunks.size() == 1 && chunks[0].empty()) return "[^\\x00-\\x{10FFFF}]"; // empty: never matches
    if (chunks.size() == 1 && chunks[0] == "!") return ".";                // negated empty: any
    const bool negate = !chunks[0].empty() && chunks[0][0] == '!';
    if (negate) chunks[0].erase(0, 1);
    std::string out = negate ? "[^" : "[";
    for (size_t k = 0; k < chunks.size(); ++k) {
        if (k) out += '-';
        for (char c : chunks[k]) {
            if (static_cast<unsigned char>(c) < 0x80 && !std::isalnum(static_cast<unsigned char>(c))) out += '\\';
            out += c;
        }
    }
    return out + "]";
}

} // namespace

struct NameMatcher::Compiled
{
    explicit Compiled(Regex regex) : re(std::move(regex)) {}
    Regex re;
};

NameMatcher::NameMatcher(Mode mode, std::string pattern, std::unique_ptr<Compiled> compiled)
    : m_mode(mode), m_pattern(std::move(pattern)), m_lowered(lower(m_pattern)),
      m_compiled(std::move(compiled))
{
}

NameMatcher::NameMatcher(NameMatcher &&) noexcept = default;
NameMatcher &NameMatcher::operator=(NameMatcher &&) noexcept = default;
NameMatcher::~NameMatcher() = default;

// fnmatch.translate: '*' -> '.*', '?' -> '.', '[...]' a class (see classToRegex; a leading
// ']' is literal, an unclosed '[' is literal), everything else literal; the whole name must match.
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
            out += classToRegex(g.substr(i + 1, j - i - 1));
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
    if (mode == Mode::Glob && pattern.find_first_of("?[") == std::string::npos) {
        NameMatcher m(mode, pattern, nullptr);
        m.m_starPieces = splitStars(pattern);
        return m;
    }
    // fnmatch.translate's (?s): '*' and '?' cross newlines.
    auto re = Regex::create(mode == Mode::Glob ? globToRegex(pattern) : pattern,
                            {mode == Mode::Glob ? Regex::Mode::FullMatch : Regex::Mode::Search, true});
    if (!re)
        return Error{std::string(mode == Mode::Glob ? "invalid glob: " : "invalid regular expression: ") +
                     re.error().message};
    return NameMatcher(mode, pattern, std::make_unique<Compiled>(std::move(*re)));
}

bool NameMatcher::matches(std::string_view name) const
{
    switch (m_mode) {
    case Mode::Substring:
        return m_lowered.empty() || lower(name).find(m_lowered) != std::string::npos;
    case Mode::Glob:
        return m_starPieces ? matchStarPieces(*m_starPieces, name) : m_compiled->re.matches(name);
    case Mode::Regex: return m_compiled->re.matches(name);
    }
    return false;
}

} // namespace ckpt
