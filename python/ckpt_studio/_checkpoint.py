"""ckpt_studio.open and the Checkpoint it gives."""
from __future__ import annotations

import json
import os
from typing import Any, Optional

from . import _arrays, _core
from ._values import TensorRef


def open(address: "str | os.PathLike[str]") -> "Checkpoint":
    """Opens a checkpoint from its metadata alone: a PyTorch file (zip, legacy, Lightning,
    TorchScript), safetensors, a sharded model's index or folder, DCP, DeepSpeed, Orbax,
    Flax msgpack, npz, .pt2, Keras, GGUF, at a path or an address (https://, hf://ORG/REPO/FILE,
    s3://BUCKET/KEY). Nothing in the file is executed and no tensor is read until asked for.
    Raises CheckpointError ("PATH: what is wrong") when it cannot be read."""
    return Checkpoint(_core.open(os.fspath(address)))


def load(address: "str | os.PathLike[str]", *, weights: Optional[list] = None, copy: bool = False,
         framework: Optional[str] = None) -> dict:
    """The weights as a ``load_state_dict``-ready dict: ``model.load_state_dict(ckpt_studio.load(path))``.
    Tensors view the file without a copy (see Checkpoint.state_dict)."""
    return open(address).state_dict(weights=weights, copy=copy, framework=framework)


class Checkpoint:
    """An opened checkpoint. Its tensors keep it (and its file's mapping) alive."""

    def __init__(self, native: "_core._Checkpoint"):
        self._native = native
        self._report: Optional[dict] = None
        self._paths: Optional[dict] = None

    def __repr__(self) -> str:
        return f"<ckpt_studio.Checkpoint {self.format} {self.address!r}: {len(self.tensors)} tensors>"

    @property
    def address(self) -> str:
        """The path or address it was opened from."""
        return self._native.address

    @property
    def format(self) -> str:
        """What it is: "pytorch-zip", "safetensors", "gguf", ..."""
        return self._native.format

    @property
    def files(self) -> list:
        """(path, size) of every file it was read from."""
        return list(self._native.files)

    @property
    def report(self) -> dict:
        """What ``ckpt inspect --json`` prints: format, sizes, totals, weights_candidates,
        metadata, warnings and the tensor table."""
        if self._report is None:
            self._report = json.loads(self._native.inspect_json())
        return self._report

    @property
    def tensors(self) -> list:
        """The tensor table: one dict per place a tensor sits (path, name, dtype, shape, strides,
        nbytes, storage, byte_offset, file record, requires_grad, ...)."""
        return self.report["tensors"]

    @property
    def weights_candidates(self) -> list:
        """The dicts that look like the model's weights, best first ({path, tensors, ...})."""
        return self.report["weights_candidates"]

    @property
    def metadata(self) -> dict:
        return self.report["metadata"]

    @property
    def warnings(self) -> list:
        return self.report["warnings"]

    def tree(self) -> Any:
        """The object tree as Python values: dicts, lists, tuples, scalars; globals as GlobalRef,
        opaque objects as OpaqueObject(module, name, args, state), tensors as TensorRef."""
        return self._native.tree()

    def safety(self, strict: bool = False) -> dict:
        """The safety report ``ckpt scan --json`` prints for this checkpoint's file."""
        return scan_report(self.address, strict)

    def keys(self, weights: Optional[list] = None) -> list:
        """The weights dict's names, in order (the best candidate unless `weights` names one)."""
        return [name for name, _ in self._native.weights(weights)]

    def state_dict(self, *, weights: Optional[list] = None, copy: bool = False,
                   framework: Optional[str] = None) -> dict:
        """The weights by name: torch.Tensors (NumPy arrays when torch is not installed, or
        framework="numpy") that view the file without a copy. Memory stays independent of the
        file's size until values are touched. Writing to a tensor changes a private copy of its
        pages, never the file; copy=True gives tensors of their own. Tensors cut across files,
        compressed or quantized (GGUF blocks, read dequantized) are assembled into memory of
        their own."""
        return {name: self._values(entry, copy, framework, name) for name, entry in self._native.weights(weights)}

    def tensor(self, name: "str | TensorRef", *, copy: bool = False, framework: Optional[str] = None):
        """One tensor, by its weights name ("encoder.fc.weight"), its '/'-joined path in the
        tree ("state_dict/encoder.fc.weight") or a TensorRef from tree()."""
        key = name.path if isinstance(name, TensorRef) else name
        if self._paths is None:
            paths = {path: i for i, path in enumerate(self._native.entries())}
            for weight, entry in self._weights_or_none():
                paths.setdefault(weight, entry)
            self._paths = paths
        if key not in self._paths:
            raise KeyError(key)
        return self._values(self._paths[key], copy, framework, key)

    def _weights_or_none(self):
        try:
            return self._native.weights(None)
        except _core.CheckpointError:
            return []

    def _values(self, entry: int, copy: bool, framework: Optional[str], name: str):
        use = framework or ("torch" if _arrays.torch_available() else "numpy")
        if use not in ("torch", "numpy"):
            raise ValueError(f"framework is 'torch' or 'numpy', not {framework!r}")
        buf = self._native.values(entry)
        try:
            return _arrays.as_torch(buf, copy) if use == "torch" else _arrays.as_numpy(buf, copy)
        except TypeError as e:
            raise _core.CheckpointError(f"{self.address}: {name}: {e}") from None


def scan_report(address: str, strict: bool) -> dict:
    text, status = _core.scan_json(address, strict)
    report = json.loads(text)
    report["exit_status"] = status
    return report
