"""Inference plans: a model's forward pass as a list of plain array functions.

Calling a model runs every layer through Layer.__call__ (input checks, the training-flag
stack, output-shape bookkeeping) and every op through its argument handling and tape check.
For one batch-1 image of the lab CNN that Python costs as much as the kernels (~130 of
~430 us). When a model is called with training off, with no GradientTape recording and with
one array input whose shape (and dtype) it has already run once through the normal path, it
runs a plan instead: for each layer, the function its ``_inference_step(input_shape)`` made
for that shape (geometry resolved, the same native kernel the op would call). Weights are read
from the layers' Variables on every call, so assign / set_weights / optimizer steps are seen.

A plan is only built from layers whose step mirrors their class's call(): a user layer, a
built-in layer whose call() or __call__ a subclass overrides, or a node with extra call
arguments makes the model keep the normal path for that shape. Plans are per input (shape,
dtype), at most `_MAX_PLANS` per model; adding or removing layers clears them. A plan reflects
the layers' configuration (strides, activation, ...) when it was built.
"""

from __future__ import annotations

import numpy as np

from fastconv.autograd._state import _STATE
from fastconv.keras.layers.base import Layer

__all__ = ["PlanCache", "fused_step", "layer_step", "run_plan"]

_MAX_PLANS = 16
_ABSENT = object()
_SEEN = object()  # the shape ran once through the normal path: build a plan on the next call
_F32 = np.dtype(np.float32)


class PlanCache(dict):
    """{(shape, dtype): a plan, _SEEN, or None (some layer has no step: the normal path)}.
    Not copied with the model: a plan's functions hold the layers they were built from, so a
    copy starts empty."""

    def __deepcopy__(self, memo):
        return PlanCache()

    def __copy__(self):
        return PlanCache()

    def __reduce__(self):
        return (PlanCache, ())


def _has_step(layer):
    """Whether the layer's _inference_step mirrors its call(): defined by the class whose call()
    it runs, and __call__ not overridden."""
    cls = type(layer)
    owner = next(c for c in cls.__mro__ if "_inference_step" in c.__dict__)
    return (owner is not Layer and cls.call is owner.call and cls.__call__ is Layer.__call__
            and layer.built)


def layer_step(layer, input_shape):
    """layer._inference_step(input_shape) when it is the class's own (see the module notes)."""
    return layer._inference_step(input_shape) if _has_step(layer) else None


def fused_step(layer, nxt, input_shape):
    """One step for `layer` followed by `nxt` (which consumes only layer's output), from
    layer._fused_inference_step, or None (Conv2D + MaxPooling2D: conv2d_maxpool_step)."""
    if not (_has_step(layer) and _has_step(nxt)):
        return None
    fuse = getattr(layer, "_fused_inference_step", None)
    return None if fuse is None else fuse(input_shape, nxt)


def run_plan(model, inputs, build):
    """The model's output for `inputs` (a Tensor) through its plan, or None when the caller
    must take the normal path. build(x) -> (plan, plan(x)), or (None, None) when some layer
    has no step; a plan maps one float32 C-contiguous array to the model's output."""
    if _STATE.tapes:
        return None
    v = inputs._value
    key = (v.shape, v.dtype)
    plans = model.__dict__.get("_plans")
    if plans is None:
        plans = model.__dict__["_plans"] = PlanCache()
    plan = plans.get(key, _ABSENT)
    if plan is _ABSENT:  # first sight: the normal path validates the shapes
        if len(plans) >= _MAX_PLANS:
            plans.clear()
        plans[key] = _SEEN
        return None
    if plan is None:
        return None
    if v.dtype != _F32 or not v.flags.c_contiguous:
        v = np.ascontiguousarray(v, _F32)
    if plan is _SEEN:
        plans[key], out = build(v)
        return out
    return plan(v)
