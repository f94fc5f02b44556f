"""The ckpt commands as functions: the same arguments, and what ``--json`` prints as Python objects."""
from __future__ import annotations

import json
import os
from typing import Optional, Union

from . import _core, _isolated
from ._checkpoint import open as _open, scan_report

Config = Union[dict, str, "os.PathLike[str]", None]


def _config(config: Config):
    """(path, json text): a dict is the config itself, anything else its file."""
    if config is None:
        return None, None
    if isinstance(config, dict):
        return None, json.dumps(config)
    return os.fspath(config), None


def inspect(path: "str | os.PathLike[str]") -> dict:
    """``ckpt inspect --json``."""
    return _open(path).report


def plan(path, config: Config, *, step: Optional[int] = None) -> dict:
    """``ckpt plan --json``: what a rules config does to the weights ({weights, tensors, rules,
    diagnostics, totals}). `config` is a dict (the config itself) or a file (JSON or YAML)."""
    cfg, text = _config(config)
    return json.loads(_core.plan_json(os.fspath(path), cfg, text, step))


def emit_config(path, config: Config, format: str = "yaml") -> str:
    """``ckpt plan --emit FORMAT``: json, yaml, python, anemoi, kempnerforge or linnaeus."""
    cfg, text = _config(config)
    return _core.emitted_config(os.fspath(path), cfg, text, format)


def apply(path, config: Config, output, *, format: Optional[str] = None, gguf_type: Optional[str] = None,
          optimizer: Optional[str] = None, tied: Optional[str] = None, shard_size: Optional[str] = None,
          weights_only: bool = False, write_config=None) -> dict:
    """``ckpt apply``: writes the checkpoint as the rules make it (streamed to a temporary file,
    verified, renamed into place). ``gguf_type`` (with format "gguf"): f32, f16, bf16 or q8_0 for
    the float matrices. Returns {written, files, summary, warnings, tensors, bytes};
    when the plan has errors nothing is written: {written: False, plan_errors: [...]}."""
    cfg, text = _config(config)
    return _isolated.call("apply", os.fspath(path), cfg, text, os.fspath(output), format or "", gguf_type or "",
                       optimizer or "", tied or "", str(shard_size or ""), weights_only,
                       os.fspath(write_config) if write_config is not None else None)


def compare(path, target, *, config: Config = None) -> dict:
    """``ckpt compare --json``: would the checkpoint (after the config's rules) load into the
    target with a strict load_state_dict; plus "suggested_config", the config with every
    proposed fix (what --suggest writes), and "config_errors"."""
    cfg, text = _config(config)
    report, suggested, errors = _core.compare(os.fspath(path), os.fspath(target), cfg, text)
    out = json.loads(report)
    out["suggested_config"] = json.loads(suggested)
    out["config_errors"] = list(errors)
    return out


def diff(a, b, *, config: Config = None) -> dict:
    """``ckpt diff --json``: tensor by tensor (identical, changed with max_abs, mean_abs,
    rel_l2, cosine; added, removed, shape or dtype changed) and per module."""
    cfg, text = _config(config)
    return json.loads(_isolated.call("diff_json", os.fspath(a), os.fspath(b), cfg, text))


def scan(path, *, strict: bool = False) -> dict:
    """``ckpt scan --json`` of a file or folder, with "exit_status" (0 clean, 2 unreadable,
    3 dangerous, or with strict=True, code needed) added."""
    return scan_report(os.fspath(path), strict)
