"""tf.train-style checkpoints: Checkpoint and CheckpointManager.

    ckpt = fastconv.train.Checkpoint(step=fastconv.Variable(0.0), optimizer=opt, model=model)
    manager = fastconv.train.CheckpointManager(ckpt, "ckpts", max_to_keep=3)
    ckpt.restore(manager.latest_checkpoint)       # None on the first run: a no-op
    for epoch in ...:
        ...train...
        manager.save()                            # -> "ckpts/ckpt-<n>"

A checkpoint path like ``ckpts/ckpt-3`` names the file ``ckpts/ckpt-3.npz``: a fastconv archive
(format "fastconv-checkpoint", see fastconv/saving/_archive.py) whose variables are named
``<keyword>/<path>`` (``model/layers/0/vars/1``, ``optimizer/vars/2``, ``step``) and whose
manifest also stores ``{"checkpoint": {"save_counter": n, "objects": {keyword: kind}}}``.

The manager keeps a state file ``<directory>/checkpoint`` (JSON: ``{"format":
"fastconv-checkpoint-state", "format_version": 1, "checkpoints": ["ckpt-1", ...]}``, oldest
first, the last is the latest), rewritten atomically after each save. Files are written to a temp
file and renamed, so a crash mid-save leaves the previous checkpoints and state intact; a stray
``.ckpt-<n>.npz.*.tmp`` from a crash is ignored and cleaned up on the next save.
"""

from __future__ import annotations

import errno
import json
import os
import re
import warnings
from typing import Any

import numpy as np

from fastconv.saving import _archive, _tracking
from fastconv.saving.weights import CHECKPOINT_FORMAT, assign_all, entries_for, plan_assignment

__all__ = ["Checkpoint", "CheckpointManager", "latest_checkpoint"]

_SUFFIX = ".npz"
_STATE_FILE = "checkpoint"
_STATE_FORMAT = "fastconv-checkpoint-state"


def _file_of(path: str) -> str:
    path = os.fspath(path)
    if path.endswith(_SUFFIX) or (os.path.isfile(path) and not os.path.isfile(path + _SUFFIX)):
        return path
    return path + _SUFFIX


class _LoadStatus:
    """What Checkpoint.restore returns; restores are strict, so the assertions always hold."""

    def __init__(self, restored: bool):
        self.restored = restored

    def assert_consumed(self):
        return self

    def assert_existing_objects_matched(self):
        return self

    def expect_partial(self):
        return self


class Checkpoint:
    """Groups Variables, layers/models, optimizers (anything with ``variables``) and nested
    Checkpoints under keywords, and saves/restores all their variables together."""

    def __init__(self, **objects: Any):
        for key, obj in objects.items():
            if key.startswith("_") or key in ("save_counter",):
                raise ValueError(f"Checkpoint: keyword {key!r} is reserved")
            if not (_tracking.is_variable(obj) or isinstance(obj, Checkpoint)
                    or hasattr(obj, "variables") or hasattr(obj, "layers")
                    or _is_slot_optimizer(obj)):
                raise TypeError(
                    f"Checkpoint: cannot track {key}={obj!r} (type {type(obj).__name__}); pass "
                    f"Variables, layers, models, optimizers or Checkpoints")
        self._objects = dict(objects)
        self._save_counter = 0

    def __getattr__(self, name: str) -> Any:
        objects = self.__dict__.get("_objects", {})
        if name in objects:
            return objects[name]
        raise AttributeError(f"Checkpoint has no attribute {name!r}")

    @property
    def save_counter(self) -> int:
        """How many times save() was called (restored by restore()); the next file is -<n+1>."""
        return self._save_counter

    def _collect(self, prefix: str, out: list, optimizers: list) -> None:
        for key, obj in self._objects.items():
            if isinstance(obj, Checkpoint):
                obj._collect(f"{prefix}{key}/", out, optimizers)
            elif _tracking.is_variable(obj):
                out.append({"path": f"{prefix}{key}", "var": obj,
                            "name": _tracking.var_name(obj) or key, "layer": key})
            elif _is_slot_optimizer(obj):
                optimizers.append((f"{prefix}{key}/", obj))
            else:
                out.extend(_tracking.named_variables(obj, prefix=f"{prefix}{key}/"))

    def _named(self, saved_paths=None) -> list[dict]:
        """Every tracked variable with its path. ``saved_paths`` (restoring): the file's paths,
        so optimizer slots that do not exist yet get placeholders that create them on assign."""
        out: list[dict] = []
        optimizers: list = []
        self._collect("", out, optimizers)
        id2path = {id(n["var"]): n["path"] for n in out}
        path2var = {n["path"]: n["var"] for n in out}
        for prefix, opt in optimizers:
            out.extend(_optimizer_entries(opt, prefix, id2path, path2var, saved_paths))
        return out

    def write(self, file_prefix: str) -> str:
        """Write the checkpoint to ``file_prefix`` (+ ".npz") without touching save_counter."""
        return self._write(os.fspath(file_prefix), self._save_counter)

    def _write(self, path: str, counter: int) -> str:
        extra = {"checkpoint": {"save_counter": int(counter),
                                "objects": sorted(self._objects)}}
        _archive.write_archive(_file_of(path), CHECKPOINT_FORMAT, entries_for(self._named()),
                               extra=extra)
        return path[: -len(_SUFFIX)] if path.endswith(_SUFFIX) else path

    def save(self, file_prefix: str) -> str:
        """Save to ``f"{file_prefix}-{save_counter + 1}"`` (file + ".npz"); returns that path.

        As in TF, the directory is created if needed and its ``checkpoint`` state file records
        the new checkpoint as the latest, so ``fastconv.train.latest_checkpoint(dir)`` finds it.
        Nothing is deleted (a CheckpointManager keeps only the last k).
        """
        n = self._save_counter + 1
        prefix = os.fspath(file_prefix)
        directory = os.path.dirname(os.path.abspath(prefix))
        os.makedirs(directory, exist_ok=True)
        path = self._write(f"{prefix}-{n}", n)
        self._save_counter = n
        name = os.path.basename(path)
        names = [x for x in (_read_state_names(directory) or [])
                 if x != name and os.path.isfile(os.path.join(directory, x + _SUFFIX))]
        _write_state_names(directory, names + [name])
        return path

    def read(self, save_path: str) -> _LoadStatus:
        return self.restore(save_path)

    def restore(self, save_path: str | None) -> _LoadStatus:
        """Restore every tracked variable (and save_counter) from ``save_path``.

        ``None`` (e.g. ``manager.latest_checkpoint`` before the first save) is a no-op. The file
        is fully verified and matched against the tracked objects before anything changes: a
        missing file raises FileNotFoundError, a corrupt or mismatched one ValueError.
        """
        if save_path is None:
            return _LoadStatus(False)
        file = _file_of(save_path)
        manifest, arrays = _archive.read_archive(file, (CHECKPOINT_FORMAT,))
        info = manifest.get("checkpoint")
        counter = info.get("save_counter") if isinstance(info, dict) else None
        if not isinstance(counter, int) or isinstance(counter, bool) or counter < 0:
            raise _archive.CorruptFileError(f"{file!r} has no valid checkpoint counter")
        named = self._named(saved_paths={r["path"] for r in manifest["variables"]})
        plan = plan_assignment(named, manifest, arrays, file, "Checkpoint.restore")
        assign_all(plan)
        _reset_unrestored_slots(named)
        self._save_counter = counter
        return _LoadStatus(True)


# ------------------------------------------------------------------ optimizers with slots
# fastconv.keras optimizers keep their slots (SGD velocity, Adam m/v) in
# ``_slots[id(var)] = (var, {slot_name: slot})`` (a slot is a Variable, or a float32 array in
# older versions), created on a variable's first update (or by ``build(var_list)``), and
# ``iterations`` (a Variable or an int). A checkpoint stores them as ``<key>/iterations`` and
# ``<key>/slots/<path of the variable in this checkpoint>/<slot name>`` (e.g.
# ``optimizer/slots/model/layers/0/vars/0/m``), so slots are tied to the model's variables by
# position, as TF ties slot variables to their variables, and do not depend on the order in which
# slots happened to be created. Slots of variables the checkpoint does not track are not saved.
# Restoring makes the optimizer's state the saved one: slots that do not exist yet are created
# (no build() needed first), and slots of tracked variables that the file lacks are zeroed (the
# state of a fresh optimizer).

def _is_slot_optimizer(obj: Any) -> bool:
    return (hasattr(obj, "apply_gradients") and isinstance(getattr(obj, "_slots", None), dict)
            and callable(getattr(obj, "_slots_for", None)) and hasattr(obj, "iterations"))


class _IntAttr:
    """A variable-like view of an int attribute (optimizer.iterations in older versions)."""

    def __init__(self, owner, attr):
        self.owner, self.attr, self.name = owner, attr, attr

    def numpy(self):
        return np.asarray(getattr(self.owner, self.attr), dtype=np.int64)

    def assign(self, value):
        setattr(self.owner, self.attr, int(np.asarray(value)))


class _Slot:
    """A variable-like view of optimizer slot ``sname`` of ``var`` (created on assign)."""

    def __init__(self, opt, var, sname, name):
        self.opt, self.var, self.sname, self.name = opt, var, sname, name

    def _get(self):
        entry = self.opt._slots.get(id(self.var))
        if entry is not None and entry[0] is self.var and self.sname in entry[1]:
            return entry[1][self.sname]
        return None

    def numpy(self):
        slot = self._get()
        if slot is None:
            return np.zeros(tuple(self.var.shape), np.float32)
        return np.array(slot.numpy() if hasattr(slot, "numpy") else slot, copy=True)

    def assign(self, value):
        slot = self._get()
        if slot is None:
            slot = self.opt._slots_for(self.var)[self.sname]
        if hasattr(slot, "assign"):
            slot.assign(value)
        else:
            slot[...] = value


def _optimizer_entries(opt, prefix, id2path, path2var, saved_paths) -> list[dict]:
    own = getattr(opt, "name", None) or type(opt).__name__
    it = opt.iterations
    out = [{"path": f"{prefix}iterations",
            "var": it if _tracking.is_variable(it) else _IntAttr(opt, "iterations"),
            "name": "iterations", "layer": own, "optimizer": opt}]
    slot_names = tuple(getattr(opt, "_SLOTS", ()))

    def entry(var_path, var, sname):
        label = f"{sname} slot of {_tracking.var_name(var) or var_path}"
        return {"path": f"{prefix}slots/{var_path}/{sname}",
                "var": _Slot(opt, var, sname, label), "name": label, "layer": own}

    if saved_paths is None:  # saving: the slots that exist, for variables this checkpoint has
        for var, slots in list(opt._slots.values()):
            if id(var) in id2path:
                out.extend(entry(id2path[id(var)], var, s) for s in slots)
        return out
    start = f"{prefix}slots/"  # restoring: a placeholder for every slot in the file
    for p in sorted(saved_paths):
        if not p.startswith(start):
            continue
        var_path, _, sname = p[len(start):].rpartition("/")
        var = path2var.get(var_path)
        if var is not None and sname in slot_names:
            out.append(entry(var_path, var, sname))
        # else: the plan reports it as a variable "that the model does not have"
    return out


def _reset_unrestored_slots(named: list[dict]) -> None:
    """After a restore: zero the slots of checkpointed variables that the file did not have."""
    opts = [n["optimizer"] for n in named if "optimizer" in n]
    restored = {(id(n["var"].opt), id(n["var"].var), n["var"].sname)
                for n in named if isinstance(n["var"], _Slot)}
    tracked = {id(n["var"]) for n in named}
    for opt in opts:
        for var, slots in list(opt._slots.values()):
            if id(var) not in tracked:
                continue
            for sname in slots:
                if (id(opt), id(var), sname) not in restored:
                    _Slot(opt, var, sname, sname).assign(np.zeros(tuple(var.shape), np.float32))


def _number(name: str, base: str) -> int | None:
    m = re.fullmatch(re.escape(base) + r"-(\d+)", name)
    return int(m.group(1)) if m else None


class CheckpointManager:
    """Saves ``checkpoint`` as ``<directory>/<checkpoint_name>-<n>`` and keeps the last
    ``max_to_keep`` (None keeps all). Reopening a directory picks up its checkpoints."""

    def __init__(self, checkpoint: Checkpoint, directory: str, max_to_keep: int | None = 5,
                 checkpoint_name: str = "ckpt"):
        if not isinstance(checkpoint, Checkpoint):
            raise TypeError(f"CheckpointManager: expected a Checkpoint, got "
                            f"{type(checkpoint).__name__}")
        if max_to_keep is not None and (not isinstance(max_to_keep, int) or max_to_keep < 1):
            raise ValueError(f"CheckpointManager: max_to_keep must be a positive int or None, "
                             f"got {max_to_keep!r}")
        self._checkpoint = checkpoint
        self._directory = os.fspath(directory)
        self._max_to_keep = max_to_keep
        self._name = checkpoint_name
        os.makedirs(self._directory, exist_ok=True)
        self._names = self._read_state()

    @property
    def directory(self) -> str:
        return self._directory

    @property
    def checkpoints(self) -> list[str]:
        """Paths of the kept checkpoints, oldest first."""
        return [os.path.join(self._directory, n) for n in self._names]

    @property
    def latest_checkpoint(self) -> str | None:
        return os.path.join(self._directory, self._names[-1]) if self._names else None

    def _state_path(self) -> str:
        return os.path.join(self._directory, _STATE_FILE)

    def _scan(self) -> list[str]:
        found = []
        for entry in os.listdir(self._directory):
            if entry.endswith(_SUFFIX):
                n = _number(entry[: -len(_SUFFIX)], self._name)
                if n is not None:
                    found.append((n, entry[: -len(_SUFFIX)]))
        return [name for _, name in sorted(found)]

    def _read_state(self) -> list[str]:
        path = self._state_path()
        if not os.path.exists(path):
            return self._scan()
        try:
            with open(path, "rb") as f:
                state = json.loads(f.read().decode("utf-8"))
            names = state["checkpoints"]
            if (state.get("format") != _STATE_FORMAT or not isinstance(names, list)
                    or not all(isinstance(n, str) and _number(n, self._name) is not None
                               for n in names)):
                raise ValueError("unexpected content")
        except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            warnings.warn(f"CheckpointManager: state file {path!r} is unreadable ({exc}); "
                          f"recovering the checkpoint list from the directory", RuntimeWarning,
                          stacklevel=3)
            return self._scan()
        # A listed checkpoint whose file has gone (deleted by hand) is dropped.
        return [n for n in names
                if os.path.isfile(os.path.join(self._directory, n + _SUFFIX))]

    def _write_state(self) -> None:
        _write_state_names(self._directory, self._names)

    def save(self, checkpoint_number: int | None = None) -> str:
        """Save a new checkpoint, drop the oldest beyond max_to_keep; returns its path."""
        ckpt = self._checkpoint
        if checkpoint_number is None:
            n = ckpt.save_counter + 1
            # Never overwrite a kept checkpoint (e.g. a fresh Checkpoint in an old directory).
            existing = [_number(x, self._name) for x in self._names]
            if existing and n <= max(existing):
                n = max(existing) + 1
        else:
            n = int(checkpoint_number)
        name = f"{self._name}-{n}"
        ckpt._write(os.path.join(self._directory, name), ckpt.save_counter + 1)
        ckpt._save_counter += 1
        self._names = [x for x in self._names if x != name] + [name]
        dropped = []
        if self._max_to_keep is not None and len(self._names) > self._max_to_keep:
            dropped = self._names[: -self._max_to_keep]
            self._names = self._names[-self._max_to_keep:]
        self._write_state()  # the state never lists a file that is not complete
        for old in dropped:
            try:
                os.unlink(os.path.join(self._directory, old + _SUFFIX))
            except FileNotFoundError:
                pass
        self._remove_stale_temps()
        return os.path.join(self._directory, name)

    def _remove_stale_temps(self) -> None:
        pat = re.compile(r"\.(" + re.escape(self._name) + r"-\d+" + re.escape(_SUFFIX) +
                         "|" + _STATE_FILE + r")\..*\.tmp")
        for entry in os.listdir(self._directory):
            if pat.fullmatch(entry):
                try:
                    os.unlink(os.path.join(self._directory, entry))
                except OSError:
                    pass

    def restore_or_initialize(self) -> str | None:
        """Restore the latest checkpoint if there is one; returns its path or None."""
        latest = self.latest_checkpoint
        if latest is not None:
            self._checkpoint.restore(latest)
        return latest


def latest_checkpoint(checkpoint_dir: str) -> str | None:
    """Like tf.train.latest_checkpoint: the newest checkpoint recorded in the directory's state
    file by Checkpoint.save or a CheckpointManager, or None (no directory, no state, or the
    recorded file is gone)."""
    checkpoint_dir = os.fspath(checkpoint_dir)
    names = _read_state_names(checkpoint_dir)
    if not names:
        return None
    path = os.path.join(checkpoint_dir, names[-1])
    return path if os.path.isfile(path + _SUFFIX) else None


def _read_state_names(directory: str) -> list[str] | None:
    """The checkpoint names listed in ``<directory>/checkpoint``; None if absent or unreadable."""
    try:
        with open(os.path.join(directory, _STATE_FILE), "rb") as f:
            state = json.loads(f.read().decode("utf-8"))
        names = state["checkpoints"]
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None
    if (state.get("format") != _STATE_FORMAT or not isinstance(names, list)
            or not all(isinstance(n, str) and n and os.path.basename(n) == n
                       and n not in (".", "..") for n in names)):
        return None
    return names


def _write_state_names(directory: str, names: list[str]) -> None:
    blob = json.dumps({"format": _STATE_FORMAT, "format_version": 1, "checkpoints": names},
                      indent=1).encode("utf-8")
    _archive.atomic_write(os.path.join(directory, _STATE_FILE), lambda f: f.write(blob))
