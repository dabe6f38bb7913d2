"""Conv2D, pooling and ZeroPadding2D layers (NHWC, kernels HWIO). padding accepts any case."""

from __future__ import annotations

from fastconv import ops
from fastconv._geometry import (conv_output_hw, normalize_pair, pool_output_hw,
                                resolve_padding)
from fastconv.keras import activations as _acts
from fastconv.keras import initializers as _inits
from fastconv.keras.layers.base import InputSpec, Layer, _step_via_call
from fastconv.keras.layers.core import _fusable_relu
from fastconv.ops import functional as _fn

__all__ = ["Conv2D", "MaxPooling2D", "MaxPool2D", "AveragePooling2D", "AvgPool2D",
           "GlobalAveragePooling2D", "GlobalAvgPool2D", "GlobalMaxPooling2D", "GlobalMaxPool2D",
           "ZeroPadding2D"]


def _padding(padding, op):
    if isinstance(padding, str):
        mode = padding.lower()
        if mode not in ("valid", "same"):
            raise ValueError(f"{op}: padding must be 'valid' or 'same' (any case), got "
                             f"{padding!r}")
        return mode
    raise TypeError(f"{op}: padding must be 'valid' or 'same', got {padding!r}")


def _channels_last(data_format, op):
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{op}: only data_format='channels_last' (NHWC) is supported")


def _spatial_out(op, hw, window, strides, padding, dilation=(1, 1), pool=False):
    if hw[0] is None or hw[1] is None:
        if padding == "same":
            return tuple(None if d is None else -(-d // s) for d, s in zip(hw, strides))
        return (None, None)
    pads = resolve_padding(padding, hw, window, strides, dilation, op)
    if pool:
        return pool_output_hw(hw, window, strides, pads, op=op, padding=padding)
    return conv_output_hw(hw, window, strides, pads, dilation, op=op, padding=padding)


class Conv2D(Layer):
    """Conv2D(filters, kernel_size, strides=(1, 1), padding='valid', data_format=None,
    dilation_rate=(1, 1), activation=None, use_bias=True, kernel_initializer='glorot_uniform',
    bias_initializer='zeros'); kernel (KH, KW, C, filters). A ReLU activation is fused into the
    convolution's epilogue."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", groups=1,
                 **kwargs):
        super().__init__(**kwargs)
        op = "Conv2D"
        if isinstance(filters, bool) or not isinstance(filters, int) or filters < 1:
            raise ValueError(f"{op}: filters must be a positive int, got {filters!r}")
        if groups != 1:
            raise NotImplementedError(f"{op}: groups other than 1 are not supported")
        _channels_last(data_format, op)
        self.filters = filters
        self.kernel_size = normalize_pair(kernel_size, "kernel_size", op)
        self.strides = normalize_pair(strides, "strides", op)
        self.padding = _padding(padding, op)
        self.dilation_rate = normalize_pair(dilation_rate, "dilation_rate", op)
        if self.strides != (1, 1) and self.dilation_rate != (1, 1):
            raise ValueError(f"{op}: strides > 1 together with dilation_rate > 1 is not "
                             f"supported (as in Keras)")
        self.activation = _acts.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = _inits.get(kernel_initializer)
        self.bias_initializer = _inits.get(bias_initializer)
        self.input_spec = InputSpec(ndim=4)

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(f"{self.name}: the channel dimension of the input must be known, "
                             f"got {input_shape}")
        self.kernel = self.add_weight("kernel", self.kernel_size + (channels, self.filters),
                                      self.kernel_initializer)
        self.bias = (self.add_weight("bias", (self.filters,), self.bias_initializer)
                     if self.use_bias else None)
        self.built = True

    def call(self, inputs):
        fuse = _fusable_relu(self.activation)
        y = ops.conv2d(inputs, self.kernel, self.bias, self.strides, self.padding,
                            self.dilation_rate, "relu" if fuse else None)
        if not fuse and self.activation is not _acts.linear:
            y = self.activation(y)
        return y

    def _inference_step(self, input_shape):
        fuse = _fusable_relu(self.activation)
        if not fuse and self.activation is not _acts.linear:
            return _step_via_call(self, input_shape)
        f = _fn.conv2d_step(input_shape, self.kernel.shape, self.strides, self.padding,
                            self.dilation_rate, "relu" if fuse else None)
        return self._bind_weights(f)

    def _bind_weights(self, f):
        return _fn.bind_weights(f, self.kernel, self.bias)

    def _fused_inference_step(self, input_shape, nxt):
        """This convolution and a following max pooling as one kernel call."""
        fuse = _fusable_relu(self.activation)
        if not (isinstance(nxt, _Pool2D) and nxt._KIND == "max") or not (
                fuse or self.activation is _acts.linear):
            return None
        f = _fn.conv2d_maxpool_step(input_shape, self.kernel.shape, self.strides, self.padding,
                                    self.dilation_rate, "relu" if fuse else None, nxt.pool_size,
                                    nxt.strides, nxt.padding)
        return self._bind_weights(f)

    def compute_output_shape(self, input_shape):
        oh, ow = _spatial_out(self.name, input_shape[1:3], self.kernel_size, self.strides,
                              self.padding, self.dilation_rate)
        return (input_shape[0], oh, ow, self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": list(self.kernel_size), "strides": list(self.strides),
                "padding": self.padding, "data_format": "channels_last",
                "dilation_rate": list(self.dilation_rate),
                "activation": _acts.serialize(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": _inits.serialize(self.kernel_initializer),
                "bias_initializer": _inits.serialize(self.bias_initializer)}


class _Pool2D(Layer):
    _KIND = "max"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        op = type(self).__name__
        _channels_last(data_format, op)
        self.pool_size = normalize_pair(pool_size, "pool_size", op)
        self.strides = self.pool_size if strides is None else normalize_pair(strides, "strides",
                                                                             op)
        self.padding = _padding(padding, op)
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        pool = ops.max_pool2d if self._KIND == "max" else ops.avg_pool2d
        return pool(inputs, self.pool_size, self.strides, self.padding)

    def _inference_step(self, input_shape):
        return _fn.pool2d_step(self._KIND, input_shape, self.pool_size, self.strides,
                               self.padding)

    def compute_output_shape(self, input_shape):
        oh, ow = _spatial_out(self.name, input_shape[1:3], self.pool_size, self.strides,
                              self.padding, pool=True)
        return (input_shape[0], oh, ow, input_shape[3])

    def get_config(self):
        return {**super().get_config(), "pool_size": list(self.pool_size),
                "strides": list(self.strides), "padding": self.padding,
                "data_format": "channels_last"}


class MaxPooling2D(_Pool2D):
    """MaxPooling2D(pool_size=(2, 2), strides=None (= pool_size), padding='valid')."""
    _KIND = "max"


class AveragePooling2D(_Pool2D):
    """AveragePooling2D(pool_size=(2, 2), strides=None (= pool_size), padding='valid'); 'same'
    averages over the real cells only, as TensorFlow."""
    _KIND = "avg"


MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D


class _GlobalPool2D(Layer):
    _KIND = "avg"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        _channels_last(data_format, type(self).__name__)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        fn = ops.global_avg_pool2d if self._KIND == "avg" else ops.global_max_pool2d
        y = fn(inputs)
        if self.keepdims:
            y = ops.reshape(y, (y.shape[0], 1, 1, y.shape[1]))
        return y

    _inference_step = _step_via_call

    def compute_output_shape(self, input_shape):
        if self.keepdims:
            return (input_shape[0], 1, 1, input_shape[3])
        return (input_shape[0], input_shape[3])

    def get_config(self):
        return {**super().get_config(), "data_format": "channels_last",
                "keepdims": self.keepdims}


class GlobalAveragePooling2D(_GlobalPool2D):
    """(N, H, W, C) -> (N, C) mean over H and W."""
    _KIND = "avg"


class GlobalMaxPooling2D(_GlobalPool2D):
    """(N, H, W, C) -> (N, C) max over H and W."""
    _KIND = "max"


GlobalAvgPool2D = GlobalAveragePooling2D
GlobalMaxPool2D = GlobalMaxPooling2D


class ZeroPadding2D(Layer):
    """ZeroPadding2D(padding=(1, 1)): int, (ph, pw) or ((top, bottom), (left, right))."""

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        _channels_last(data_format, "ZeroPadding2D")
        self.padding = resolve_padding(padding, (1, 1), (1, 1), op="ZeroPadding2D")
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        return ops.zero_pad2d(inputs, self.padding)

    _inference_step = _step_via_call

    def compute_output_shape(self, input_shape):
        (t, b), (l, r) = self.padding
        h, w = input_shape[1:3]
        return (input_shape[0], None if h is None else h + t + b, None if w is None else w + l + r,
                input_shape[3])

    def get_config(self):
        return {**super().get_config(), "padding": [list(p) for p in self.padding],
                "data_format": "channels_last"}
