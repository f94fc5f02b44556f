#pragma once

#include "model/base/result.h"

#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace ckpt {

/// A regular expression in RE2's syntax (linear time, also valid Python `re`) for names.
///
/// RE2 is the authority: it parses every pattern, and its errors are the ones users see. RE2
/// spends ~100 ns of fixed cost on every call, though, which is most of a live preview over
/// 100k names; so where the two read a pattern the same way, the match runs in PCRE2's JIT
/// (~30 ns): a pattern free of the few constructs they read differently (see canUsePcre2 in
/// regex.cpp), on an ASCII name (as bytes) or a UTF-8 one (as characters; names that are not
/// UTF-8 go to RE2). tests/model/tst_regex.cpp holds the two to the same answers. A PCRE2
/// match that exceeds its step budget (backtracking) is answered by RE2 instead, so no
/// pattern takes more than linear time.
/// One place where the engines part: the groups inside a loop whose body can match empty
/// ("(a*)*" on "a": RE2 says group 1 is "a", PCRE2 and Python's re say it is the empty
/// string after it). The PCRE2 path gives Python's answer there.
class Regex final
{
public:
    enum class Mode {
        Search,    ///< re.search: a match anywhere
        FullMatch, ///< re.fullmatch: the whole text
    };
    struct Options
    {
        Mode mode = Mode::Search;
        bool dotMatchesNewline = false; ///< (?s) for the whole pattern
    };
    /// A match's span and its groups' (begin == npos: the group took no part).
    struct Span
    {
        size_t begin;
        size_t end;
    };
    static constexpr Span kUnset{std::string_view::npos, std::string_view::npos};
    /// Groups find() can report: the whole match and \1 to \31.
    static constexpr int kMaxGroups = 32;

    /// An invalid pattern gives RE2's message ("missing ): layer(").
    static Result<Regex> create(const std::string &pattern, Options options);

    /// Whether the pattern matches `text` (anywhere, or all of it for FullMatch).
    bool matches(std::string_view text) const;
    /// The first match starting at or after `from` (the text before `from` still counts for
    /// ^ and \b, as in Python's pattern.search(text, from)); groups[0] is the match, groups[k]
    /// group k, for as many as `groups` holds (at most kMaxGroups). Search mode only.
    /// `notEmptyAtFrom`: an empty match at `from` does not count (what re.sub asks after an
    /// empty match), so a non-empty match at `from` or any match after it is found. RE2 has
    /// no such search: on its path the search goes on from the next character instead, and
    /// misses a non-empty match at `from` that a lazy or optional pattern could make there.
    bool find(std::string_view text, size_t from, std::span<Span> groups, bool notEmptyAtFrom = false) const;

    int groupCount() const;
    /// The number of the group named `name` ((?P<name>...)), or -1.
    int groupIndex(std::string_view name) const;
    const std::string &pattern() const;
    /// Whether every match starts at the beginning of the text (^ at the start of every
    /// alternative, without (?m)): a search from any later position finds nothing. False when
    /// not known.
    bool anchoredAtStart() const;
    /// Whether matches can take the PCRE2 path (for tests).
    bool usesPcre2() const;

    Regex(Regex &&) noexcept;
    Regex &operator=(Regex &&) noexcept;
    ~Regex();

private:
    struct Impl;
    explicit Regex(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

/// A pattern that matches `text` itself (its special characters escaped).
std::string regexQuoted(std::string_view text);

} // namespace ckpt
