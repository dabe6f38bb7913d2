"""Input, InputLayer, Dense, Flatten, Reshape, Dropout, Activation, ReLU, Softmax, Lambda."""

from __future__ import annotations

import math

import numpy as np

from fastconv import _core, ops
from fastconv.keras import _backend
from fastconv.keras import activations as _acts
from fastconv.keras import initializers as _inits
from fastconv.keras.layers.base import (InputSpec, KerasTensor, Layer, Node, _step_via_call,
                                        unique_name)
from fastconv.ops import functional as _fn

__all__ = ["InputLayer", "Input", "Dense", "Flatten", "Reshape", "Dropout", "Activation", "ReLU",
           "Softmax", "Lambda", "KerasTensor"]


class InputLayer(Layer):
    """The entry of a functional model: holds the symbolic input KerasTensor.

    InputLayer(shape=None, batch_size=None, dtype=None, batch_shape=None, name=None); the Keras 2
    spellings input_shape= and batch_input_shape= are accepted too.
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, batch_shape=None, name=None,
                 input_shape=None, batch_input_shape=None, **kwargs):
        if name is None:
            name = unique_name("input_layer")
        shape = shape if shape is not None else input_shape
        batch_shape = batch_shape if batch_shape is not None else batch_input_shape
        if batch_shape is None:
            if shape is None:
                raise ValueError("InputLayer: give shape= (without the batch dimension) or "
                                 "batch_shape=")
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            batch_shape = (batch_size,) + shape
        kwargs.pop("trainable", None)
        super().__init__(name=name, dtype=dtype, **kwargs)
        self._batch_input_shape = tuple(None if d is None else int(d) for d in batch_shape)
        self.built = True
        tensor = KerasTensor(self._batch_input_shape, name=self.name)
        node = Node(self, [], {}, tensor)
        self._inbound_nodes.append(node)
        tensor._keras_history = (self, 0, 0)
        self._input_tensor = tensor
        self._last_output_shape = self._batch_input_shape

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {"batch_shape": list(self._batch_input_shape), "dtype": "float32",
                "name": self.name}


def Input(shape=None, batch_size=None, name=None, dtype=None, batch_shape=None):
    """A symbolic input for functional models: keras.Input(shape=(28, 28, 1))."""
    layer = InputLayer(shape=shape, batch_size=batch_size, name=name, dtype=dtype,
                       batch_shape=batch_shape)
    return layer._input_tensor


def _fusable_relu(activation):
    return activation is _acts.relu or (_tf_relu() is not None and activation is _tf_relu())


def _tf_relu():
    try:
        from fastconv._tfcompat import nn
    except ImportError:
        return None
    return nn.relu


class Dense(Layer):
    """Dense(units, activation=None, use_bias=True, kernel_initializer='glorot_uniform',
    bias_initializer='zeros'): y = act(x @ kernel + bias) on the last axis; kernel (in, units)."""

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units < 1:
            raise ValueError(f"Dense: units must be a positive int, got {units!r}")
        self.units = int(units)
        self.activation = _acts.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = _inits.get(kernel_initializer)
        self.bias_initializer = _inits.get(bias_initializer)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        in_dim = input_shape[-1]
        if in_dim is None:
            raise ValueError(f"{self.name}: the last dimension of the input must be known, got "
                             f"{input_shape}")
        self.kernel = self.add_weight("kernel", (in_dim, self.units), self.kernel_initializer)
        self.bias = (self.add_weight("bias", (self.units,), self.bias_initializer)
                     if self.use_bias else None)
        self.built = True

    def call(self, inputs):
        fuse = _fusable_relu(self.activation)
        x = inputs
        lead = tuple(inputs.shape[:-1])
        if len(lead) != 1:
            x = ops.reshape(x, (-1, inputs.shape[-1]))
        y = ops.dense(x, self.kernel, self.bias, activation="relu" if fuse else None)
        if len(lead) != 1:
            y = ops.reshape(y, lead + (self.units,))
        if not fuse and self.activation is not _acts.linear:
            y = self.activation(y)
        return y

    def _inference_step(self, input_shape):
        fuse = _fusable_relu(self.activation)
        if len(input_shape) == 2 and self.activation is _acts.softmax:
            # the lab's classifier head: the dense step, then softmax over the classes (the
            # kernels call() runs: ops.dense, then activations.softmax)
            dense = _fn.bind_weights(_fn.dense_step(None), self.kernel, self.bias)
            softmax = _core.softmax_fwd

            def step(x):
                return softmax(dense(x))
            if hasattr(dense, "native"):
                step.native = [dense.native, ("softmax", (), ())]
            return step
        if len(input_shape) != 2 or not (fuse or self.activation is _acts.linear):
            return _step_via_call(self, input_shape)
        return _fn.bind_weights(_fn.dense_step("relu" if fuse else None), self.kernel,
                                self.bias)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": _acts.serialize(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": _inits.serialize(self.kernel_initializer),
                "bias_initializer": _inits.serialize(self.bias_initializer)}


class Flatten(Layer):
    """(N, ...) -> (N, prod(...)), row-major (channels-last order, as Keras)."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise ValueError("Flatten: only data_format='channels_last' is supported")
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        return ops.flatten(inputs)  # also right for an empty batch, where (0, -1) is ambiguous

    def _inference_step(self, input_shape):
        out = (input_shape[0], math.prod(input_shape[1:]))

        def step(x):
            return x.reshape(out)
        step.native = ("reshape", (), out)
        return step

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], size)


class Reshape(Layer):
    """Reshape(target_shape): (N, ...) -> (N, *target_shape) (one -1 allowed)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)

    def call(self, inputs):
        return ops.reshape(inputs, (inputs.shape[0],) + self.target_shape)

    _inference_step = _step_via_call

    def compute_output_shape(self, input_shape):
        shape = list(self.target_shape)
        if -1 in shape:
            known = math.prod(d for d in shape if d != -1)
            rest = input_shape[1:]
            total = None if any(d is None for d in rest) else math.prod(rest)
            if total is not None and total % known:
                raise ValueError(f"{self.name}: cannot reshape {input_shape} to "
                                 f"{self.target_shape}")
            shape[shape.index(-1)] = None if total is None else total // known
        return (input_shape[0],) + tuple(shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}


class Dropout(Layer):
    """Dropout(rate, noise_shape=None, seed=None): inverted dropout, active only with
    training=True. Masks come from a counter-based generator seeded per call: from the layer's
    own seed sequence when seed is given, else from the global one (fastconv.random.set_seed)."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= float(rate) < 1.0:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate}")
        if noise_shape is not None:
            raise NotImplementedError("Dropout: noise_shape is not supported")
        self.rate = float(rate)
        self.seed = seed
        self._rng = None if seed is None else np.random.default_rng(int(seed))

    def call(self, inputs, training=False):
        if not training or self.rate == 0.0:
            return inputs
        rng = self._rng if self._rng is not None else _backend.global_rng()
        return ops.dropout(inputs, self.rate, int(rng.integers(0, 2 ** 63 - 1)), True)

    def _inference_step(self, input_shape):
        def step(x):
            return x  # call() without training returns its input
        step.native = ("identity", (), ())
        return step

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class Activation(Layer):
    """Activation(activation): applies a named or callable activation."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = _acts.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    _inference_step = _step_via_call

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "activation": _acts.serialize(self.activation)}


class ReLU(Layer):
    """ReLU(): max(x, 0) (max_value / negative_slope / threshold other than the defaults are not
    supported)."""

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None or negative_slope != 0.0 or threshold != 0.0:
            raise NotImplementedError("ReLU: only the plain max(x, 0) form is supported")

    def call(self, inputs):
        return ops.relu(inputs)

    _inference_step = _step_via_call

    def compute_output_shape(self, input_shape):
        return input_shape


class Softmax(Layer):
    """Softmax(axis=-1)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def call(self, inputs):
        return ops.softmax(inputs, axis=self.axis) if self.axis != -1 else ops.softmax(inputs)

    _inference_step = _step_via_call

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Lambda(Layer):
    """Lambda(function): wraps an arbitrary function of the inputs (not serializable)."""

    def __init__(self, function, output_shape=None, **kwargs):
        super().__init__(**kwargs)
        self.function = function
        self._output_shape = output_shape

    def call(self, inputs):
        return self.function(inputs)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            raise NotImplementedError
        return (input_shape[0],) + tuple(self._output_shape)

    def get_config(self):
        raise NotImplementedError(f"{self.name}: a Lambda layer's function cannot be serialized")
