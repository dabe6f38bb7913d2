"""Shared building blocks of the zoo (plain functional-API helpers over fastconv.keras layers)."""

from __future__ import annotations

from fastconv.keras import layers as L

__all__ = ["conv", "conv_bn_relu", "ceil_max_pool", "check_input_shape"]


def check_input_shape(input_shape, builder, min_hw=1):
    """(H, W, C) of positive ints with H, W >= min_hw, else a ValueError naming the builder."""
    try:
        shape = tuple(int(d) for d in input_shape)
    except (TypeError, ValueError):
        raise ValueError(f"{builder}: input_shape must be (height, width, channels), got "
                         f"{input_shape!r}") from None
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"{builder}: input_shape must be (height, width, channels) of positive "
                         f"ints, got {input_shape!r}")
    if shape[0] < min_hw or shape[1] < min_hw:
        raise ValueError(f"{builder}: input_shape {shape} is too small; height and width must be "
                         f">= {min_hw}")
    return shape


def conv(x, filters, kernel_size, strides=1, use_bias=True, activation=None,
         kernel_initializer="glorot_uniform", name=None):
    """A convolution padded by kernel_size // 2 on every side, as PyTorch's
    ``Conv2d(..., padding=k // 2)``. At stride 1 that is 'same'; at stride 2 TensorFlow's 'same'
    would put the odd pixel of padding at the bottom/right only, so there the padding is an
    explicit symmetric ZeroPadding2D followed by a 'valid' convolution (same outputs as torch)."""
    if strides == 1 or kernel_size == 1:
        pad = "same" if kernel_size > 1 else "valid"
    else:
        x = L.ZeroPadding2D(kernel_size // 2, name=None if name is None else name + "_pad")(x)
        pad = "valid"
    return L.Conv2D(filters, kernel_size, strides=strides, padding=pad, use_bias=use_bias,
                    activation=activation, kernel_initializer=kernel_initializer, name=name)(x)


def conv_bn_relu(x, filters, kernel_size, strides=1, epsilon=1e-5, momentum=0.9,
                 kernel_initializer="he_normal", relu=True, name=None):
    """Conv (no bias) -> BatchNormalization -> ReLU: torchvision's BasicConv2d / ResNet unit.
    momentum 0.9 is PyTorch's 0.1 in Keras's convention."""
    x = conv(x, filters, kernel_size, strides, use_bias=False,
             kernel_initializer=kernel_initializer, name=name)
    x = L.BatchNormalization(epsilon=epsilon, momentum=momentum,
                             name=None if name is None else name + "_bn")(x)
    if relu:
        x = L.ReLU(name=None if name is None else name + "_relu")(x)
    return x


def ceil_max_pool(x, pool_size, strides, name=None):
    """PyTorch's ``MaxPool2d(pool_size, strides, ceil_mode=True)`` (no padding) in Keras terms.

    ceil mode gives ceil((H - k) / s) + 1 windows, the last one clipped at the bottom/right.
    When that equals the 'valid' count, it is 'valid'; otherwise TensorFlow's 'same' has the same
    count and puts its single padded row/column at the bottom/right (maxed over as -inf), which
    is exactly the clipped window. The choice is made per axis size, so both agree everywhere."""
    h, w = x.shape[1], x.shape[2]

    def mode(n):
        ceil_out = -(-(n - pool_size) // strides) + 1
        valid_out = (n - pool_size) // strides + 1
        same_out = -(-n // strides)
        if ceil_out == valid_out:
            return "valid"
        pad_total = max((same_out - 1) * strides + pool_size - n, 0)
        if ceil_out == same_out and pad_total <= 1:
            return "same"
        return None

    mh, mw = mode(h), mode(w)
    if mh is None or mh != mw:
        # Mixed/unusual sizes: pad bottom/right explicitly (inputs follow a ReLU, so a zero pad
        # never wins a max over real values) and pool 'valid'.
        ceil_h = -(-(h - pool_size) // strides) + 1
        ceil_w = -(-(w - pool_size) // strides) + 1
        ph = max((ceil_h - 1) * strides + pool_size - h, 0)
        pw = max((ceil_w - 1) * strides + pool_size - w, 0)
        x = L.ZeroPadding2D(((0, ph), (0, pw)))(x)
        mh = "valid"
    return L.MaxPooling2D(pool_size, strides, padding=mh, name=name)(x)
