#pragma once

#include "model/checkpoint/checkpoint.h"
#include "model/checkpoint/tensor_values.h"

#include <nanobind/nanobind.h>

#include <memory>

namespace ckpt::python {

/// A tensor's bytes exposed through Python's buffer protocol (memoryview, numpy.frombuffer,
/// torch.frombuffer read them without a copy), keeping the checkpoint (and its mapping) or the
/// assembled bytes alive while any array views them. Writable: the mapping is copy-on-write in
/// this process (see MappedFile::setCopyOnWrite), so a write never reaches the file.
struct TensorBuffer
{
    std::shared_ptr<const Checkpoint> checkpoint;
    TensorValues values;
};

void bindTensorBuffer(nanobind::module_ &m);

} // namespace ckpt::python
