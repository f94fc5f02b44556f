#pragma once

#include "model/pickle/safety_report.h"

#include <string>
#include <string_view>

namespace ckpt {

/// A Jinja chat template (GGUF's `tokenizer.chat_template`, which llama.cpp's and
/// transformers' loaders render in a sandbox) scanned, never rendered, into the safety report
/// under `label`: the constructs sandbox escapes are made of (a double-underscore name or
/// string, `__class__`, `__globals__`, `__subclasses__`, ..., and the `attr` filter that
/// reaches them by a computed name) are dangerous, listed once each as a `jinja2` global.
void scanChatTemplate(SafetyReport &report, std::string_view text, const std::string &label);

} // namespace ckpt
