"""Checkpoint Studio from Python: open any checkpoint the ``ckpt`` command reads, without
running anything in it, and get its tree, tensor table, safety report and tensors that view
the file in place.

    >>> import ckpt_studio
    >>> ck = ckpt_studio.open("model.safetensors")        # or a .pt, a folder, hf://, s3://
    >>> model.load_state_dict(ckpt_studio.load("model.pt"))

The functions plan, apply, compare, diff and scan take the same arguments as the ``ckpt``
commands and return what their ``--json`` prints, as Python objects. A failure raises
CheckpointError with the command's one-line message.
"""
from __future__ import annotations

from ._checkpoint import Checkpoint, load, open
from ._commands import apply, compare, diff, emit_config, inspect, plan, scan
from ._core import CheckpointError, __version__
from ._values import GlobalRef, OpaqueObject, TensorRef

__all__ = ["Checkpoint", "CheckpointError", "GlobalRef", "OpaqueObject", "TensorRef", "__version__",
           "apply", "compare", "diff", "emit_config", "inspect", "load", "open", "plan", "scan"]
