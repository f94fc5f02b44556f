#pragma once

#include "model/base/result.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ckpt {

/// Matches tensor and module names. Three ways, as users type them:
/// - Substring: plain text anywhere in the name, case-insensitive;
/// - Glob: Python's fnmatch.fnmatchcase semantics on the whole name ('*' crosses dots);
/// - Regex: RE2 syntax (linear time, also valid Python `re`), searched anywhere in the name.
class NameMatcher final
{
public:
    enum class Mode { Substring, Glob, Regex };

    /// An invalid pattern gives an Error that says what is wrong with it.
    static Result<NameMatcher> create(Mode mode, const std::string &pattern);
    /// The regular expression (RE2 syntax) that Python's fnmatch.translate would give.
    static std::string globToRegex(std::string_view glob);

    bool matches(std::string_view name) const;
    Mode mode() const { return m_mode; }
    const std::string &pattern() const { return m_pattern; }

    NameMatcher(NameMatcher &&) noexcept;
    NameMatcher &operator=(NameMatcher &&) noexcept;
    ~NameMatcher();

private:
    struct Compiled;
    NameMatcher(Mode mode, std::string pattern, std::unique_ptr<Compiled> compiled);

    Mode m_mode;
    std::string m_pattern;
    std::string m_lowered;
    /// A glob made of literals and '*' only (most are: "encoder.*", "*.bias") is matched
    /// without a regular expression: the literals between the stars, in order.
    std::optional<std::vector<std::string>> m_starPieces;
    std::unique_ptr<Compiled> m_compiled;
};

} // namespace ckpt
