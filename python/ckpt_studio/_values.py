"""The small classes a checkpoint's object tree is given in: what the pickle names, never run."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class GlobalRef:
    """A global the pickle names (a class or a function), by module and qualified name.
    It is never imported."""
    module: str
    name: str

    @property
    def qualname(self) -> str:
        return f"{self.module}.{self.name}" if self.module else self.name


@dataclass
class OpaqueObject:
    """An object the pickle would build by calling ``module.name(*args)`` and then setting
    ``state``: shown, never built."""
    module: str
    name: str
    args: Any = ()
    state: Any = None
    items: Any = None
    dict_items: Any = None


@dataclass(frozen=True)
class TensorRef:
    """A tensor in the tree: its path ('/'-joined, as ``ckpt inspect`` names it), dtype and
    shape. ``Checkpoint.tensor(ref)`` gives its values."""
    path: str
    dtype: str
    shape: tuple = field(default=())
