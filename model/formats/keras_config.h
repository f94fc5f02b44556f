#pragma once

#include "model/pickle/safety_report.h"

#include <string>
#include <string_view>

namespace ckpt {

/// What a Keras model config (a .keras file's config.json, a legacy .h5's `model_config`
/// attribute) would make `keras.saving.load_model` run, scanned without running it, into the
/// safety report under `label`: a Lambda layer (its marshalled bytecode or named function
/// runs: dangerous), and every class or function named from outside Keras, classified as a
/// pickle's global of that module and name would be (a custom layer needs its code; `os`
/// or `builtins.eval` is dangerous). Keras's own classes are Keras's code and not listed.
/// Returns the config's top class ("Functional", "Sequential"), empty when it has none;
/// text that is not JSON is an anomaly in the report.
std::string scanKerasConfig(SafetyReport &report, std::string_view json, const std::string &label);

} // namespace ckpt
