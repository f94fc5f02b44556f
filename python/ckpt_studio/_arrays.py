"""Turning a tensor's bytes (a _TensorBuffer, read through the buffer protocol) into a
torch.Tensor or a NumPy array that views them: no copy, no pickle, no code from the file."""
from __future__ import annotations

import warnings

_TORCH_NAMES = {
    "bool": "bool", "uint8": "uint8", "int8": "int8", "int16": "int16", "uint16": "uint16",
    "int32": "int32", "uint32": "uint32", "int64": "int64", "uint64": "uint64",
    "float16": "float16", "bfloat16": "bfloat16", "float32": "float32", "float64": "float64",
    "complex32": "complex32", "complex64": "complex64", "complex128": "complex128",
    "float8_e5m2": "float8_e5m2", "float8_e4m3fn": "float8_e4m3fn",
    "float8_e5m2fnuz": "float8_e5m2fnuz", "float8_e4m3fnuz": "float8_e4m3fnuz",
    "float8_e8m0fnu": "float8_e8m0fnu",
}
_NUMPY_NAMES = {
    "bool": "bool", "uint8": "uint8", "int8": "int8", "int16": "int16", "uint16": "uint16",
    "int32": "int32", "uint32": "uint32", "int64": "int64", "uint64": "uint64",
    "float16": "float16", "float32": "float32", "float64": "float64",
    "complex64": "complex64", "complex128": "complex128",
}
# NumPy has none of these; ml_dtypes (JAX's) does, when it is installed.
_ML_DTYPES = {
    "bfloat16": "bfloat16", "float8_e5m2": "float8_e5m2", "float8_e4m3fn": "float8_e4m3fn",
    "float8_e5m2fnuz": "float8_e5m2fnuz", "float8_e4m3fnuz": "float8_e4m3fnuz",
    "float8_e8m0fnu": "float8_e8m0fnu",
}


def _torch():
    try:
        import torch
        return torch
    except ImportError:
        return None


def torch_available() -> bool:
    return _torch() is not None


def as_torch(buf, copy: bool):
    torch = _torch()
    name = _TORCH_NAMES.get(buf.dtype)
    dtype = getattr(torch, name, None) if name else None
    if dtype is None:
        raise TypeError(f"{buf.dtype} values are not given as tensors (torch {torch.__version__} has no such "
                        "plain dtype; quantized tensors need torch.load)")
    itemsize = torch.empty((), dtype=dtype).element_size()
    if buf.nbytes < itemsize:
        flat = torch.empty(0, dtype=dtype)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            flat = torch.frombuffer(buf, dtype=torch.uint8, count=buf.nbytes // itemsize * itemsize)
        flat = flat.view(dtype)
    t = flat.as_strided(tuple(buf.shape), tuple(buf.strides), buf.offset) if _has_elements(buf) \
        else torch.empty(tuple(buf.shape), dtype=dtype)
    return t.clone() if copy else t


def as_numpy(buf, copy: bool):
    import numpy as np
    name = _NUMPY_NAMES.get(buf.dtype)
    if name is not None:
        dtype = np.dtype(name)
    elif buf.dtype in _ML_DTYPES:
        try:
            import ml_dtypes
        except ImportError:
            raise TypeError(f"NumPy has no {buf.dtype}: install ml_dtypes (or torch) to read it") from None
        dtype = np.dtype(getattr(ml_dtypes, _ML_DTYPES[buf.dtype]))
    else:
        raise TypeError(f"NumPy has no dtype for {buf.dtype}")
    if not _has_elements(buf):
        return np.empty(tuple(buf.shape), dtype=dtype)
    raw = np.frombuffer(buf, dtype=np.uint8, count=buf.nbytes // dtype.itemsize * dtype.itemsize).view(dtype)
    a = np.lib.stride_tricks.as_strided(raw[buf.offset:], shape=tuple(buf.shape),
                                        strides=tuple(s * dtype.itemsize for s in buf.strides), writeable=False)
    return a.copy() if copy else a


def _has_elements(buf) -> bool:
    n = 1
    for d in buf.shape:
        n *= d
    return n > 0
