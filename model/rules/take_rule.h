#pragma once

#include "model/rules/rule_set.h"

#include <string>

namespace ckpt {

/// The take rule that brings `name` (a tensor, or with `module` everything under it) of
/// source `from` to `destination`, a module of the result ("" for where it is): "encoder" of
/// a text model dropped onto "text" becomes "text.encoder.*".
Rule takeRule(const std::string &from, const std::string &name, bool module, const std::string &destination);

/// A source name for a file ("text_model.safetensors" -> "text_model"): letters, digits and
/// "_", not "self", not one of `taken`.
std::string sourceNameFor(const std::string &path, const RuleSet &rules);

} // namespace ckpt
