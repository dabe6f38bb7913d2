"""BatchNormalization and LocalResponseNormalization (for AlexNet)."""

from __future__ import annotations

import numpy as np

from fastconv import ops
from fastconv.keras import initializers as _inits
from fastconv.keras.layers.base import InputSpec, Layer, _step_via_call

__all__ = ["BatchNormalization", "LocalResponseNormalization"]


class BatchNormalization(Layer):
    """BatchNormalization(axis=-1, momentum=0.99, epsilon=0.001, center=True, scale=True, ...).

    Weights, in order: gamma (if scale), beta (if center) — trainable; moving_mean,
    moving_variance — non-trainable, updated in place by calls with training=True (batch
    statistics, biased variance, as Keras 3). A layer with trainable=False always normalizes with
    the moving statistics (Keras's fine-tuning behaviour).
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=0.001, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones", **kwargs):
        super().__init__(**kwargs)
        if axis not in (-1, 3) and axis != [-1]:
            raise NotImplementedError("BatchNormalization: only the channel axis (-1) is "
                                      "supported")
        self.axis = -1
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        if self.epsilon <= 0:
            raise ValueError(f"BatchNormalization: epsilon must be positive, got {epsilon}")
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = _inits.get(beta_initializer)
        self.gamma_initializer = _inits.get(gamma_initializer)
        self.moving_mean_initializer = _inits.get(moving_mean_initializer)
        self.moving_variance_initializer = _inits.get(moving_variance_initializer)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        c = input_shape[-1]
        if c is None:
            raise ValueError(f"{self.name}: the channel dimension must be known, got "
                             f"{input_shape}")
        self.gamma = self.add_weight("gamma", (c,), self.gamma_initializer) if self.scale else None
        self.beta = self.add_weight("beta", (c,), self.beta_initializer) if self.center else None
        self.moving_mean = self.add_weight("moving_mean", (c,), self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight("moving_variance", (c,),
                                               self.moving_variance_initializer, trainable=False)
        self.built = True

    def call(self, inputs, training=None):
        c = inputs.shape[-1]
        if c != self.moving_mean.shape[0]:
            raise ValueError(f"{self.name}: input has {c} channels but the layer was built for "
                             f"{self.moving_mean.shape[0]} (input shape {tuple(inputs.shape)})")
        gamma = self.gamma if self.gamma is not None else np.ones(c, np.float32)
        beta = self.beta if self.beta is not None else np.zeros(c, np.float32)
        training = bool(training) and self.trainable
        return ops.batch_norm(inputs, gamma, beta, self.moving_mean, self.moving_variance,
                                   training, self.momentum, self.epsilon)

    _inference_step = _step_via_call

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum,
                "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
                "beta_initializer": _inits.serialize(self.beta_initializer),
                "gamma_initializer": _inits.serialize(self.gamma_initializer),
                "moving_mean_initializer": _inits.serialize(self.moving_mean_initializer),
                "moving_variance_initializer": _inits.serialize(
                    self.moving_variance_initializer)}


class LocalResponseNormalization(Layer):
    """tf.nn.local_response_normalization as a layer (AlexNet):
    y = x / (bias + alpha * sum_{|d'-d|<=depth_radius} x_d'^2) ** beta over channels.
    Defaults are TensorFlow's (depth_radius=5, bias=1, alpha=1, beta=0.5); AlexNet uses
    depth_radius=2, bias=2, alpha=1e-4, beta=0.75 (TF does not divide alpha by the window)."""

    def __init__(self, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5, **kwargs):
        super().__init__(**kwargs)
        if int(depth_radius) < 0:
            raise ValueError(f"LocalResponseNormalization: depth_radius must be >= 0, got "
                             f"{depth_radius}")
        self.depth_radius, self.bias = int(depth_radius), float(bias)
        self.alpha, self.beta = float(alpha), float(beta)
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        return ops.lrn(inputs, self.depth_radius, self.bias, self.alpha, self.beta)

    _inference_step = _step_via_call

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "depth_radius": self.depth_radius, "bias": self.bias,
                "alpha": self.alpha, "beta": self.beta}
