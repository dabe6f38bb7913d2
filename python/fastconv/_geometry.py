"""Shared 2-D window geometry for convolutions and pools (pure Python).

Both the fast ops and the float64 reference resolve padding and output sizes
through these helpers, so the two can never disagree about shapes.

Conventions: spatial pairs are (height, width); explicit padding is
((top, bottom), (left, right)); 'same' follows TensorFlow exactly, which puts
the odd extra padding cell at the bottom/right.
"""

from __future__ import annotations

import numbers

__all__ = [
    "normalize_pair",
    "resolve_padding",
    "conv_output_hw",
    "pool_output_hw",
]


def _check_int(v, name, op, minimum):
    if type(v) is int and v >= minimum:  # the common case, without the ABC check below
        return v
    # bool is an int subclass in Python, but True as a stride is always a bug.
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(
            f"{op}: {name} must contain integers, got {v!r} ({type(v).__name__})"
        )
    v = int(v)
    if v < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {v}")
    return v


def normalize_pair(value, name, op, minimum=1):
    """value: int or length-2 sequence -> (int, int).

    Raises TypeError for non-integers (bool included) and ValueError for a
    wrong length or a value below `minimum` (1 by default: strides, pool sizes,
    kernel sizes and dilation must be positive; pass minimum=0 for paddings).
    """
    if type(value) is tuple and len(value) == 2:  # the common case: a pair, checked below
        return (_check_int(value[0], name, op, minimum), _check_int(value[1], name, op, minimum))
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        v = _check_int(value, name, op, minimum)
        return (v, v)
    if isinstance(value, bool):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    try:
        items = tuple(value)
    except TypeError:
        raise TypeError(
            f"{op}: {name} must be an int or a pair of ints, got {value!r}"
        ) from None
    if len(items) != 2:
        raise ValueError(
            f"{op}: {name} must be an int or a pair of ints, got {len(items)} values {value!r}"
        )
    return (_check_int(items[0], name, op, minimum), _check_int(items[1], name, op, minimum))


def _same_pads_1d(size, k, stride, dilation):
    out = -(-size // stride)  # ceil without floats
    eff = (k - 1) * dilation + 1
    total = max((out - 1) * stride + eff - size, 0)
    top = total // 2
    return (top, total - top)


def resolve_padding(padding, in_hw, kernel_hw, strides=(1, 1), dilation=(1, 1), op="op"):
    """padding -> ((top, bottom), (left, right)).

    padding: 'valid' / 'same' in any letter case, an int p (p on every side),
    a pair (ph, pw) (ph top and bottom, pw left and right), or an explicit
    ((top, bottom), (left, right)) of non-negative ints.
    in_hw, kernel_hw, strides, dilation: ints or pairs.

    'same' is TensorFlow's rule: OH = ceil(H / stride),
    total = max((OH - 1) * stride + (KH - 1) * dilation + 1 - H, 0),
    top = total // 2, bottom = total - top (the odd cell goes to the bottom).
    """
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return ((0, 0), (0, 0))
        if mode == "same":
            h, w = normalize_pair(in_hw, "input size", op)
            kh, kw = normalize_pair(kernel_hw, "kernel size", op)
            sh, sw = normalize_pair(strides, "strides", op)
            dh, dw = normalize_pair(dilation, "dilation_rate", op)
            return (_same_pads_1d(h, kh, sh, dh), _same_pads_1d(w, kw, sw, dw))
        raise ValueError(
            f"{op}: padding must be 'valid', 'same' or explicit ints, got {padding!r}"
        )
    if isinstance(padding, bool):
        raise TypeError(f"{op}: padding must be 'valid', 'same' or ints, got {padding!r}")
    if isinstance(padding, numbers.Integral):
        p = _check_int(padding, "padding", op, 0)
        return ((p, p), (p, p))
    try:
        items = tuple(padding)
    except TypeError:
        raise TypeError(
            f"{op}: padding must be 'valid', 'same' or ints, got {padding!r}"
        ) from None
    if len(items) != 2:
        raise ValueError(
            f"{op}: padding must have 2 entries (height, width), got {padding!r}"
        )
    pads = tuple(normalize_pair(item, "padding", op, minimum=0) for item in items)
    return (pads[0], pads[1])


def _fmt_hw(hw):
    return f"{hw[0]}x{hw[1]}"


def _output_hw(in_hw, kernel_hw, strides, pads, dilation, op, what, x_shape, padding):
    h, w = normalize_pair(in_hw, "input size", op)
    kh, kw = normalize_pair(kernel_hw, f"{what} size", op)
    sh, sw = normalize_pair(strides, "strides", op)
    dh, dw = normalize_pair(dilation, "dilation_rate", op)
    (pt, pb), (pl, pr) = resolve_padding(pads, (h, w), (kh, kw), (sh, sw), (dh, dw), op)
    eh, ew = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    ph, pw = h + pt + pb, w + pl + pr
    if eh > ph or ew > pw:
        dil = f" (dilated {_fmt_hw((eh, ew))})" if (dh, dw) != (1, 1) else ""
        ctx = []
        if x_shape is not None:
            ctx.append(f"x.shape={tuple(x_shape)}")
        ctx.append(f"padding={padding if padding is not None else ((pt, pb), (pl, pr))!r}")
        raise ValueError(
            f"{op}: {what} {_fmt_hw((kh, kw))}{dil} is larger than padded input "
            f"{_fmt_hw((ph, pw))} ({', '.join(ctx)})"
        )
    return ((ph - eh) // sh + 1, (pw - ew) // sw + 1)


def conv_output_hw(in_hw, kernel_hw, strides=(1, 1), pads=((0, 0), (0, 0)),
                   dilation=(1, 1), op="conv2d", x_shape=None, padding=None):
    """-> (OH, OW) with OH = floor((H + top + bottom - (KH-1)*dilation - 1) / stride) + 1.

    pads: anything resolve_padding accepts (usually the resolved pair of pairs).
    x_shape / padding: optional, only used to make the error message useful.
    Raises ValueError naming `op` and the shapes if the dilated kernel does not
    fit in the padded input.
    """
    return _output_hw(in_hw, kernel_hw, strides, pads, dilation, op, "kernel",
                      x_shape, padding)


def pool_output_hw(in_hw, pool_hw, strides=None, pads=((0, 0), (0, 0)),
                   op="pool2d", x_shape=None, padding=None):
    """-> (OH, OW) for a pooling window (no dilation); strides default to pool_hw."""
    if strides is None:
        strides = pool_hw
    return _output_hw(in_hw, pool_hw, strides, pads, (1, 1), op, "pool window",
                      x_shape, padding)
