#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ckpt {

// Text forms of pickle scalars: parsing the literals of protocol 0 and printing values the
// way Python's repr() does, so what the tool shows reads like what users see in a shell.

/// A decimal integer with optional sign that fits int64.
std::optional<int64_t> parseDecimalInt(std::string_view s);
/// Any decimal integer, however long.
bool isDecimalInt(std::string_view s);
/// A Python float literal ("1.5", "inf", "-nan", "1e-05").
std::optional<double> parseFloatLiteral(std::string_view s);
/// The quoted repr of a byte string (STRING opcode): 'abc\n' -> bytes.
std::optional<std::string> decodeQuotedString(std::string_view quoted);
/// raw-unicode-escape (UNICODE opcode) to UTF-8.
std::string decodeRawUnicodeEscape(std::string_view s);

/// repr(float) as Python prints it: shortest round trip, "1.0", "1e-05", "inf".
std::string pythonFloatRepr(double d);
/// repr(str) for UTF-8 text: quotes chosen as Python does, escapes for control characters.
std::string pythonStrRepr(std::string_view utf8);
/// repr(bytes): b'...' with \x escapes.
std::string pythonBytesRepr(std::string_view bytes);
/// Decimal text of a little-endian two's-complement integer (LONG1/LONG4 payload);
/// very long ones are summarised as "<int of N bits>".
std::string bigIntText(std::string_view littleEndian);

} // namespace ckpt
