#pragma once

#include "model/formats/gguf_reader.h"

#include <string>
#include <utility>
#include <vector>

namespace ckpt::exporting {

/// The metadata a GGUF export writes: `carried` (a GGUF source's records) with the config's
/// gguf_metadata applied in order: a key set replaces its record or is appended, null removes
/// it. Values: a string, a bool, an integer (uint32 when it fits, else int32 or int64), a
/// number (float32), a list of one of those, or {"type": "uint64", "value": ...} for any GGUF
/// type (uint8..int64, float32, float64, bool, string) or a list of it. Throws
/// std::runtime_error "gguf_metadata.KEY: what".
std::vector<GgufRecord> ggufMetadata(std::vector<GgufRecord> carried,
                                     const std::vector<std::pair<std::string, std::string>> &config);

} // namespace ckpt::exporting
