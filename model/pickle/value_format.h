#pragma once

#include "model/pickle/pickle_value.h"
#include "model/base/tensor_table.h"

#include <string>
#include <vector>

namespace ckpt {

/// A value as Python's repr() would show it, for the eye: opaque objects read like
/// `argparse.Namespace(depth=18, act='relu')`, bytes made with _codecs.encode as b'...',
/// tensors as `tensor(float32, [3, 4])`. Output longer than maxLength ends in "...".
/// `tensors` (optional) supplies dtype and shape for tensor nodes.
std::string formatValue(const Value *value, const std::vector<TensorInfo> *tensors = nullptr,
                        size_t maxLength = 200);

/// The class or function that made an object ("argparse.Namespace"), or its kind's name
/// ("dict", "list", "int", ...), for a type column.
std::string typeName(const Value *value);

} // namespace ckpt
