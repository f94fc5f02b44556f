#pragma once

#include "model/pickle/pickle_value.h"

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace ckpt {

// Reading what a pickle built, without running it: the fields of dicts and of objects
// rebuilt by NEWOBJ + BUILD, torch.Size, Enum members.

/// The attribute dict a dataclass instance was built with (NEWOBJ + BUILD(dict), or the
/// (dict, slots) pair of a class with __slots__), or `v` itself when it is a dict; null
/// when there is none.
const Value *attributes(const Value *v);
/// A string-keyed entry of a dict, or an attribute of an object; null when absent.
const Value *field(const Value *v, std::string_view name);
bool isNone(const Value *v);
/// A torch.Size (REDUCE of torch.Size with a tuple of ints) or a plain tuple/list of ints.
std::optional<std::vector<int64_t>> ints(const Value *v);
/// An integer, or an IntEnum member pickled as `getattr(Enum, 'NAME')` or `Enum(n)`, whose
/// value `names` gives by position (ZeroStageEnum: disabled, optimizer_states, ...).
std::optional<int64_t> enumValue(const Value *v, const std::vector<std::string_view> &names);

/// A String value holding a copy of `text`, made in `arena` (a key of a dict a reader builds).
Value *stringValue(ValueArena &arena, std::string_view text);

} // namespace ckpt
