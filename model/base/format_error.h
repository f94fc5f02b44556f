#pragma once

#include <stdexcept>
#include <string>

namespace ckpt {

/// Thrown inside model/*.cpp readers when a file is not what it claims to be. Never crosses
/// the public API: the entry points catch it and return an Error value.
class FormatError final : public std::runtime_error
{
public:
    explicit FormatError(const std::string &what) : std::runtime_error(what) {}
};

} // namespace ckpt
