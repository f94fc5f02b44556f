#pragma once

#include "model/checkpoint/checkpoint.h"

#include <nanobind/nanobind.h>

namespace ckpt::python {

/// A checkpoint's object tree as Python values: None, bool, int, float, str, bytes, list,
/// tuple, dict, set, frozenset; a global as ckpt_studio.GlobalRef(module, name), an opaque
/// object as ckpt_studio.OpaqueObject(module, name, args, state, items, dict_items), a tensor
/// as ckpt_studio.TensorRef(path, dtype, shape). Shared references stay shared; a reference
/// back into a container being built is a GlobalRef("", "<recursion>"). Nothing is imported
/// or called but those classes.
nanobind::object treeValues(const Checkpoint &checkpoint);

} // namespace ckpt::python
