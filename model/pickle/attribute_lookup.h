#pragma once

#include "model/pickle/pickle_value.h"

#include <cstddef>
#include <string>
#include <string_view>

namespace ckpt {

/// How pickle stores an Enum member: `builtins.getattr(SomeEnum, 'NAME')`, an attribute looked
/// up on another global and never called. When every use of builtins.getattr among the values
/// made from the `first`-th on is such a lookup (owner a global, the name a plain public
/// identifier, the result never called), the first one as "owner module\nowner name\nNAME";
/// empty when there is none or any use does more.
std::string inertAttributeLookup(ValueArena &arena, size_t first);

/// builtins.getattr, in Python 3's spelling or Python 2's (`__builtin__`, protocol <= 2).
inline bool isGetattrGlobal(std::string_view module, std::string_view name)
{
    return name == "getattr" && (module == "builtins" || module == "__builtin__");
}

} // namespace ckpt
