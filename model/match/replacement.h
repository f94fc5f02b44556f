#pragma once

#include "model/match/regex.h"

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ckpt {

/// The `to` of a regex rename: Python's re.sub template, read the way Python reads it.
/// \1 to \99 and \g<n> or \g<name> are groups (a group that took no part gives ""); \0 and
/// three octal digits are characters, as are \n \t \r \f \v \a \b and \\; any other escaped
/// ASCII letter is an error, any other escaped character stays as written (backslash too).
class Replacement final
{
public:
    /// Errors say what is wrong in Python's words ("invalid group reference 3").
    static Result<Replacement> parse(std::string_view to, const Regex &regex);
    /// Appends the replacement for one match of `text` (groups from Regex::find).
    void appendTo(std::string &out, std::string_view text, std::span<const Regex::Span> groups) const;
    /// How many groups find() must report (the highest group used, plus one).
    size_t groupsNeeded() const { return m_groupsNeeded; }

private:
    struct Piece
    {
        std::string text; ///< literal text, when group < 0
        int group = -1;
    };
    std::vector<Piece> m_pieces;
    size_t m_groupsNeeded = 1;
};

/// The `to` of a regex rename that gives `text` itself (backslashes doubled).
std::string literalReplacement(std::string_view text);

} // namespace ckpt
