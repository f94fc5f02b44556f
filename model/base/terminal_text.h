#pragma once

#include <string>
#include <string_view>

namespace ckpt {

/// A name as a terminal can show it in one line: control characters escaped the way
/// Python's repr() writes them (\n, \t, \x0b), bytes that are not UTF-8 as \xNN, everything
/// else (any language's letters included) as it is.
std::string terminalText(std::string_view s);

/// How many columns `s` takes on a terminal: one per character, two for East Asian wide
/// ones (CJK, Hangul, full-width forms), none for combining marks.
size_t terminalWidth(std::string_view s);

/// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past
/// U+10FFFF).
bool isValidUtf8(std::string_view s);

/// `s` with spaces after it (or before it: `right`) to fill `width` columns.
std::string padToWidth(std::string s, size_t width, bool right = false);

} // namespace ckpt
