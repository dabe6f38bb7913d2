"""Inference plans: a model's forward pass as a list of plain array functions.

Calling a model runs every layer through Layer.__call__ (input checks, the training-flag
stack, output-shape bookkeeping) and every op through its argument handling and tape check.
For one batch-1 image of the lab CNN that Python costs as much as the kernels (~130 of
~430 us). When a model is called with training off, with no GradientTape recording and with
one array input whose shape (and dtype) it has already run once through the normal path, it
runs a plan instead: for each layer, the function its ``_inference_step(input_shape)`` made
for that shape (geometry resolved, the same native kernel the op would call). Weights are read
from the layers' Variables (the ones they held when the plan was built) on every call, so
assign / set_weights / optimizer steps are seen.

A Sequential plan, or a functional model's whose steps form a chain (each reads the one
before), whose every step has a native form (Conv2D with a linear or ReLU activation, alone or
fused with the MaxPooling2D after it; Max/AveragePooling2D; Flatten; Dropout; Dense with a
linear, ReLU or softmax activation) runs as one call of a _core.InferencePlan: the same kernels
with the same arguments, so the same bits, without a Python step, a binding call and a new
array per layer (lab CNN, batch 1 on one thread: 207-209 -> 191-194 us, interleaved A/B).

A plan is only built from layers whose step mirrors their class's call(): a user layer, a
built-in layer whose call() or __call__ a subclass overrides, or a node with extra call
arguments makes the model keep the normal path for that shape. Plans are per input (shape,
dtype), at most 16 per model; adding or removing layers clears them. A plan reflects the
layers' configuration (strides, activation, ...) when it was built.

A built-in layer called on its own (a subclassed model's call(), a direct layer call) runs its
step the same way, from its second call with an input shape on (Layer.__call__).
"""

from __future__ import annotations

from fastconv import _core
from fastconv.keras.layers.base import _has_step, cached_step, layer_step

__all__ = ["fused_step", "layer_step", "native_plan", "run_plan"]


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
    return cached_step(model, "_plans", inputs, build)


def native_plan(input_shape, steps):
    """The steps as one _core.InferencePlan for inputs of input_shape, or None when some step
    has no native form."""
    ops = []
    for step in steps:
        native = getattr(step, "native", None)
        if native is None:
            return None
        ops.extend(native if isinstance(native, list) else [native])  # a list: several ops
    if not ops:
        return None
    return _core.InferencePlan(list(input_shape), ops)
