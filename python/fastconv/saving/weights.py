"""save_weights / load_weights: a model's variables in a fastconv archive (see _archive.py)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from fastconv.saving import _archive, _tracking

WEIGHTS_FORMAT = "fastconv-weights"
MODEL_FORMAT = "fastconv-model"
CHECKPOINT_FORMAT = "fastconv-checkpoint"


def _shape(s) -> tuple:
    return tuple(int(d) for d in s)


def entries_for(named: list[dict]) -> list[dict]:
    return [{"path": n["path"], "value": _tracking.value_of(n["var"]), "name": n["name"],
             "layer": n["layer"]} for n in named]


def _check_overwrite(path: str, overwrite: bool) -> None:
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path!r} exists and overwrite=False")


def save_weights(model: Any, filepath: str, overwrite: bool = True) -> None:
    """Write every variable of ``model`` (trainable and not) to ``filepath`` atomically.

    The file is written exactly at ``filepath`` (no suffix is added); ``.npz`` is a good
    extension since the file is a plain NumPy archive.
    """
    filepath = os.fspath(filepath)
    _check_overwrite(filepath, overwrite)
    named = _tracking.named_variables(model)
    _archive.write_archive(filepath, WEIGHTS_FORMAT, entries_for(named))


def load_weights(model: Any, filepath: str) -> None:
    """Load a file written by save_weights (or save_model) into an identically built ``model``.

    Everything is checked before any variable changes: a missing file raises FileNotFoundError;
    a corrupt one a ValueError; a different architecture (missing, extra or differently shaped
    variable) a ValueError naming the layer, the variable and both shapes.
    """
    filepath = os.fspath(filepath)
    manifest, arrays = _archive.read_archive(filepath, (WEIGHTS_FORMAT, MODEL_FORMAT))
    named = _tracking.named_variables(model)
    plan = plan_assignment(named, manifest, arrays, filepath, "load_weights")
    assign_all(plan)


def plan_assignment(named: list[dict], manifest: dict, arrays: dict, filepath: str,
                    what: str) -> list[tuple[Any, np.ndarray]]:
    """Match file variables to live ones by path; raise ValueError on any mismatch."""
    records = {r["path"]: r for r in manifest["variables"]}
    if named == [] and records:
        raise ValueError(
            f"{what}: the model has no variables yet but {filepath!r} holds {len(records)}; "
            f"build the model first (call it on a batch, or give the first layer input_shape=)")
    live = {n["path"]: n for n in named}
    problems = []
    for p, n in live.items():
        if p not in records:
            problems.append(
                f"{n['layer']} variable {n['name'] or p!r} (path {p}, shape "
                f"{_shape(_tracking.value_of(n['var']).shape)}) is not in the file")
    for p, r in records.items():
        if p not in live:
            problems.append(f"the file has variable {r['name']!r} of {r['layer'] or '?'} (path {p}, "
                            f"shape {_shape(r['shape'])}) that the model does not have")
    plan = []
    for p, n in live.items():
        if p not in records:
            continue
        r = records[p]
        current = _tracking.value_of(n["var"])
        if _shape(current.shape) != _shape(r["shape"]):
            problems.append(
                f"{n['layer']} variable {n['name'] or p!r} (path {p}) has shape "
                f"{_shape(current.shape)} in the model but {_shape(r['shape'])} in the file "
                f"(saved as {r['name']!r} of {r['layer'] or '?'})")
            continue
        value = arrays[p]
        if value.dtype != current.dtype:
            if not np.can_cast(value.dtype, current.dtype, casting="same_kind"):
                problems.append(f"{n['layer']} variable {n['name'] or p!r} (path {p}) is "
                                f"{current.dtype} in the model but {value.dtype} in the file")
                continue
            value = value.astype(current.dtype)
        plan.append((n["var"], value))
    if problems:
        shown = "\n  ".join(problems[:10])
        more = f"\n  ... and {len(problems) - 10} more" if len(problems) > 10 else ""
        raise ValueError(
            f"{what}: {filepath!r} does not match the model's architecture (the model has "
            f"{len(live)} variables, the file {len(records)}); nothing was loaded:\n  "
            f"{shown}{more}")
    return plan


def assign_all(plan: list[tuple[Any, np.ndarray]]) -> None:
    """Assign every value; if an assign fails, restore the ones already done (all or nothing)."""
    old = [(var, np.array(_tracking.value_of(var), copy=True)) for var, _ in plan]
    done = 0
    try:
        for var, value in plan:
            var.assign(value)
            done += 1
    except BaseException:
        for var, value in old[:done]:
            var.assign(value)
        raise
