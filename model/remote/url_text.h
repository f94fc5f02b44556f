#pragma once

#include <cstdlib>
#include <string>
#include <string_view>

namespace ckpt {

/// Percent-encodes all but RFC 3986's unreserved characters (and '/' when `keepSlash`): the
/// form SigV4 signs and the Hub's paths take.
std::string percentEncoded(std::string_view text, bool keepSlash);
std::string percentDecoded(std::string_view text);
/// XML's five entities and numeric references decoded (S3's listings).
std::string xmlDecoded(std::string_view text);

/// An environment variable, or nullptr when unset or empty.
inline const char *environment(const char *name)
{
    const char *v = std::getenv(name);
    return v && *v ? v : nullptr;
}

} // namespace ckpt
