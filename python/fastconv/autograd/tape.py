"""GradientTape: record the ops run inside ``with tape:`` and differentiate through them.

The tape is a list of records ``(op_name, inputs, output, backward)`` appended in execution order,
so walking it backwards is already a topological order. ``gradient`` makes two cheap passes:

1. forward over the records, marking which values depend on the requested sources (only those
   records' backward functions run; ``needs`` tells each backward which inputs want a gradient);
2. backward, seeding the target with ones (or ``output_gradients``), calling each marked record's
   ``backward(dy, needs)`` and accumulating (``+``) gradients of values used by several ops.

Watching follows TensorFlow: explicitly ``watch``-ed tensors, plus every trainable Variable that an
op inside the tape reads (unless ``watch_accessed_variables=False``), plus anything computed from
watched values. A source that is none of these gets ``None`` (or zeros with
``unconnected_gradients='zero'``). Gradients are float32 Tensors.

Memory: records hold the saved inputs/outputs through their backward closures and nothing holds
the tape from a Tensor, so dropping the tape (or the first ``gradient`` call of a non-persistent
tape, which clears the records) releases every saved buffer; there are no reference cycles.
Higher-order gradients are not supported: backward functions run NumPy/native code, unrecorded.
"""

from __future__ import annotations

import numpy as np

from fastconv.autograd._state import _STATE
from fastconv.autograd.tensor import Tensor, Variable, _wrap

__all__ = ["GradientTape"]

_UNCONNECTED = ("none", "zero")


def _flatten(structure, out):
    """Append the leaves of a nested list/tuple/dict (dict values in key order) to out."""
    if isinstance(structure, (list, tuple)):
        for item in structure:
            _flatten(item, out)
    elif isinstance(structure, dict):
        for key in structure:
            _flatten(structure[key], out)
    else:
        out.append(structure)
    return out


def _pack(structure, leaves):
    """Rebuild `structure` with the next items of the iterator `leaves` in place of its leaves."""
    if isinstance(structure, list):
        return [_pack(item, leaves) for item in structure]
    if isinstance(structure, tuple):
        items = [_pack(item, leaves) for item in structure]
        return type(structure)(*items) if hasattr(structure, "_fields") else tuple(items)
    if isinstance(structure, dict):
        return type(structure)((key, _pack(structure[key], leaves)) for key in structure)
    return next(leaves)


def _describe(x):
    if isinstance(x, Variable):
        return f"Variable '{x.name}' shape={x.shape}"
    if isinstance(x, Tensor):
        return f"Tensor shape={x.shape}"
    return type(x).__name__


class GradientTape:
    """Records operations for automatic differentiation (TensorFlow's ``tf.GradientTape``).

    GradientTape(persistent=False, watch_accessed_variables=True)
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self.persistent = bool(persistent)
        self.watch_accessed_variables = bool(watch_accessed_variables)
        self._records = []
        self._watched = []  # explicitly watched tensors (kept alive so their ids stay unique)
        self._used = False

    # ---- recording --------------------------------------------------------------------------
    def __enter__(self):
        if any(t is self for t in _STATE.tapes):
            raise RuntimeError("GradientTape: this tape is already recording (nested `with` on "
                               "the same tape)")
        _STATE.tapes.append(self)
        return self

    def __exit__(self, *exc):
        self._remove_from_stack()
        return False

    def _remove_from_stack(self):
        tapes = _STATE.tapes
        for i in range(len(tapes) - 1, -1, -1):
            if tapes[i] is self:
                del tapes[i]
                return True
        return False

    def stop_recording(self):
        """Context manager: ops run inside it are not recorded on this tape."""
        return _StopRecording(self)

    def watch(self, tensor):
        """Track a Tensor (or a nested list/tuple/dict of them) so gradients can flow to it."""
        for t in _flatten(tensor, []):
            if not isinstance(t, Tensor):
                raise TypeError(f"GradientTape.watch: expected Tensors or Variables, got "
                                f"{type(t).__name__}; wrap arrays with fastconv.constant(...)")
            self._watched.append(t)

    def watched_variables(self):
        """The Variables this tape watches: explicitly watched ones, then trainable Variables read
        by recorded ops (in first-use order, without duplicates)."""
        seen, out = set(), []
        candidates = [t for t in self._watched if isinstance(t, Variable)]
        if self.watch_accessed_variables:
            for rec in self._records:
                candidates.extend(i for i in rec[1] if isinstance(i, Variable) and i.trainable)
        for v in candidates:
            if id(v) not in seen:
                seen.add(id(v))
                out.append(v)
        return tuple(out)

    def reset(self):
        """Forget everything recorded and watched so far (the tape keeps recording if active)."""
        self._records = []
        self._watched = []
        self._used = False

    def __repr__(self):
        ops = ", ".join(rec[0] for rec in self._records[:12])
        more = f", ... ({len(self._records)} ops)" if len(self._records) > 12 else ""
        return f"GradientTape(persistent={self.persistent}, ops=[{ops}{more}])"

    # ---- differentiation ------------------------------------------------------------------
    def gradient(self, target, sources, output_gradients=None, unconnected_gradients="none"):
        """d(target)/d(sources), in the structure of `sources`.

        target: a Tensor with one element (a loss), or a list/tuple of such (their gradients are
            summed). A target with more elements needs `output_gradients` (dL/dtarget, same
            shape): unlike TensorFlow, which silently sums, that is a ValueError here.
        sources: a Tensor/Variable, or a list/tuple/dict/nested structure of them.
        output_gradients: None, or array-likes matching target's structure and shapes.
        unconnected_gradients: 'none' (None for a source the target does not depend on, or that
            is not watched) or 'zero' (zeros of the source's shape).
        """
        if self._used and not self.persistent:
            raise RuntimeError(
                "GradientTape.gradient can only be called once on a non-persistent tape (its "
                "saved buffers were released); use GradientTape(persistent=True) to call it "
                "several times")
        mode = unconnected_gradients.lower() if isinstance(unconnected_gradients, str) else \
            getattr(unconnected_gradients, "value", unconnected_gradients)
        if mode not in _UNCONNECTED:
            raise ValueError(f"GradientTape.gradient: unconnected_gradients must be 'none' or "
                             f"'zero', got {unconnected_gradients!r}")
        flat_sources = _flatten(sources, [])
        for k, s in enumerate(flat_sources):
            if not isinstance(s, Tensor):
                raise TypeError(
                    f"GradientTape.gradient: source {k} is a {type(s).__name__}, not a Tensor or "
                    f"Variable; only Tensors can be watched (use fastconv.constant and "
                    f"tape.watch)")
        seeds = self._seeds(target, output_gradients)
        try:
            grads = self._backprop(seeds, flat_sources)
        finally:
            if not self.persistent:
                self._used = True
                self._records = []
                self._watched = []
        out = []
        for s in flat_sources:
            g = grads.get(id(s))
            if g is None:
                out.append(_wrap(np.zeros(s.shape, np.float32)) if mode == "zero" else None)
            else:
                if g.dtype != np.float32:
                    g = g.astype(np.float32)
                out.append(_wrap(g))
        if isinstance(sources, Tensor):
            return out[0]
        return _pack(sources, iter(out))

    def jacobian(self, *args, **kwargs):
        raise NotImplementedError("GradientTape.jacobian is not implemented; use gradient with "
                                  "output_gradients for vector-Jacobian products")

    @staticmethod
    def _seeds(target, output_gradients):
        targets = _flatten(target, [])
        if output_gradients is None:
            ogs = [None] * len(targets)
        else:
            ogs = _flatten(output_gradients, [])
            if len(ogs) != len(targets):
                raise ValueError(f"GradientTape.gradient: {len(targets)} targets but "
                                 f"{len(ogs)} output_gradients")
        seeds = []
        for k, (t, og) in enumerate(zip(targets, ogs)):
            if not isinstance(t, Tensor):
                raise TypeError(f"GradientTape.gradient: target {k} is a {type(t).__name__}, "
                                f"not a Tensor computed inside the tape")
            if og is None:
                if t.size != 1:
                    raise ValueError(
                        f"GradientTape.gradient: the target has shape {t.shape}, not a scalar; "
                        f"reduce it first (fastconv.ops.reduce_mean / reduce_sum) or pass "
                        f"output_gradients of shape {t.shape}")
                seed = np.ones(t.shape, np.float32)
            else:
                seed = np.asarray(og._value if isinstance(og, Tensor) else og, np.float32)
                if seed.shape != t.shape:
                    raise ValueError(f"GradientTape.gradient: output_gradients[{k}] has shape "
                                     f"{seed.shape} but the target has shape {t.shape}")
            seeds.append((t, seed))
        return seeds

    def _backprop(self, seeds, flat_sources):
        records = self._records
        source_ids = {id(s) for s in flat_sources}
        # Pass 1 (forward): `tracked` = watched values and everything computed from them;
        # `live` = sources that are tracked and everything computed from them.
        tracked = {id(t) for t in self._watched}
        accessed = self.watch_accessed_variables
        # A trainable Variable is watched as soon as an op reads it, so a source Variable that
        # no record reads simply stays unconnected.
        live = {id(s) for s in flat_sources
                if id(s) in tracked or (accessed and isinstance(s, Variable) and s.trainable)}
        for _, inputs, output, _ in records:
            is_tracked = is_live = False
            for x in inputs:
                ix = id(x)
                if ix in live:  # live values are tracked too
                    is_live = True
                    break
                if not is_tracked and (ix in tracked or (
                        accessed and isinstance(x, Variable) and x.trainable)):
                    is_tracked = True
            io = id(output)
            if is_live:
                live.add(io)
                tracked.add(io)
            elif is_tracked:
                tracked.add(io)
                if io in source_ids:
                    live.add(io)
        # Pass 2 (backward).
        grads = {}
        for t, seed in seeds:
            it = id(t)
            if it in live:
                prev = grads.get(it)
                grads[it] = seed if prev is None else prev + seed
        for name, inputs, output, backward in reversed(records):
            io = id(output)
            if io not in live:
                continue
            dy = grads.get(io) if io in source_ids else grads.pop(io, None)
            if dy is None:
                continue
            needs = tuple(id(x) in live for x in inputs)
            if not any(needs):
                continue
            in_grads = backward(dy, needs)
            for x, g, need in zip(inputs, in_grads, needs):
                if need and g is not None:
                    ix = id(x)
                    if g.shape != x.shape:
                        raise RuntimeError(
                            f"GradientTape: backward of op '{name}' returned a gradient of shape "
                            f"{g.shape} for an input of shape {x.shape}")
                    prev = grads.get(ix)
                    grads[ix] = g if prev is None else prev + g
        return grads


class _StopRecording:
    __slots__ = ("_tape", "_was_active")

    def __init__(self, tape):
        self._tape = tape
        self._was_active = False

    def __enter__(self):
        self._was_active = self._tape._remove_from_stack()
        return self

    def __exit__(self, *exc):
        if self._was_active:
            _STATE.tapes.append(self._tape)
        return False
