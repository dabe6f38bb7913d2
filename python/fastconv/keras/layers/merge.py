"""Merge layers: Add, Multiply, Concatenate (ResNet skips, Inception filter concatenation)."""

from __future__ import annotations

from fastconv import ops
from fastconv.keras.layers.base import Layer, _step_via_call, shape_str

__all__ = ["Add", "Multiply", "Concatenate", "add", "multiply", "concatenate"]


def _shapes(layer, inputs):
    if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
        raise ValueError(f"Layer \"{layer.name}\" ({type(layer).__name__}) should be called on a "
                         f"list of at least 2 inputs, got {type(inputs).__name__}")
    return [tuple(x.shape) for x in inputs]


class _ElementwiseMerge(Layer):
    def _check(self, shapes):
        for s in shapes[1:]:
            if len(s) != len(shapes[0]) or any(a is not None and b is not None and a != b
                                               for a, b in zip(s, shapes[0])):
                raise ValueError(
                    f"Layer \"{self.name}\" ({type(self).__name__}): inputs have incompatible "
                    f"shapes. Received shapes {', '.join(shape_str(x) for x in shapes)}")

    def call(self, inputs):
        self._check(_shapes(self, inputs))
        return self._OP(list(inputs))

    _inference_step = _step_via_call

    def compute_output_shape(self, input_shape):
        shapes = list(input_shape)
        self._check(shapes)
        return tuple(next((d for d in dims if d is not None), None) for dims in zip(*shapes))


class Add(_ElementwiseMerge):
    """Add()([a, b, ...]): elementwise sum of same-shaped inputs."""
    _OP = staticmethod(lambda xs: ops.add(xs))


class Multiply(_ElementwiseMerge):
    """Multiply()([a, b, ...]): elementwise product of same-shaped inputs."""
    _OP = staticmethod(lambda xs: ops.multiply(xs))


class Concatenate(Layer):
    """Concatenate(axis=-1)([a, b, ...]): all other dimensions must match."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def _check(self, shapes):
        rank = len(shapes[0])
        ax = self.axis % rank if -rank <= self.axis < rank else None
        ok = ax is not None and all(len(s) == rank for s in shapes)
        if ok:
            for s in shapes[1:]:
                for i, (a, b) in enumerate(zip(s, shapes[0])):
                    if i != ax and a is not None and b is not None and a != b:
                        ok = False
        if not ok:
            raise ValueError(
                f"Layer \"{self.name}\" (Concatenate) requires inputs with matching shapes "
                f"except for the concatenation axis {self.axis}. Received shapes "
                f"{', '.join(shape_str(x) for x in shapes)}")
        return ax

    def build(self, input_shape):
        self.built = True

    def call(self, inputs):
        self._check(_shapes(self, inputs))
        return ops.concat(list(inputs), axis=self.axis)

    _inference_step = _step_via_call

    def compute_output_shape(self, input_shape):
        shapes = list(input_shape)
        ax = self._check(shapes)
        out = list(shapes[0])
        sizes = [s[ax] for s in shapes]
        out[ax] = None if any(d is None for d in sizes) else sum(sizes)
        for i in range(len(out)):
            if i != ax and out[i] is None:
                out[i] = next((s[i] for s in shapes if s[i] is not None), None)
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def add(inputs, **kwargs):
    return Add(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    return Multiply(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    return Concatenate(axis=axis, **kwargs)(inputs)
