#include "tensor_buffer.h"

#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

namespace nb = nanobind;

namespace ckpt::python {
namespace {

int getBuffer(PyObject *self, Py_buffer *view, int flags)
{
    const TensorBuffer *b = nb::inst_ptr<TensorBuffer>(self);
    void *data = const_cast<uint8_t *>(b->values.data);
    return PyBuffer_FillInfo(view, self, data, Py_ssize_t(b->values.size), 0, flags);
}

PyType_Slot slots[] = {{Py_bf_getbuffer, reinterpret_cast<void *>(getBuffer)}, {0, nullptr}};

} // namespace

void bindTensorBuffer(nb::module_ &m)
{
    nb::class_<TensorBuffer>(m, "_TensorBuffer", nb::type_slots(slots),
                             "A tensor's storage bytes, read through the buffer protocol without a copy.")
        .def_prop_ro("nbytes", [](const TensorBuffer &b) { return b.values.size; })
        .def_prop_ro("dtype", [](const TensorBuffer &b) { return std::string(dtypeName(b.values.dtype)); })
        .def_prop_ro("shape", [](const TensorBuffer &b) { return b.values.shape; })
        .def_prop_ro("strides", [](const TensorBuffer &b) { return b.values.strides; }, "In elements.")
        .def_prop_ro("offset", [](const TensorBuffer &b) { return b.values.offset; }, "In elements.")
        .def_prop_ro("in_place", [](const TensorBuffer &b) { return b.values.inPlace; },
                     "Whether the bytes are viewed in the file's mapping (else assembled or decoded).");
}

} // namespace ckpt::python
