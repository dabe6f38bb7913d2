"""Small private helpers shared by the reference modules."""

import numpy as np

from .._geometry import resolve_padding


def f64(a):
    return np.asarray(a, dtype=np.float64)


def pads_of(pads, op):
    """Explicit pads in any accepted form -> ((top, bottom), (left, right))."""
    if isinstance(pads, str):
        raise ValueError(f"{op}: low-level entry points need explicit pads, got {pads!r}")
    return resolve_padding(pads, (1, 1), (1, 1), (1, 1), (1, 1), op)


def pad_hw(x, pads, value=0.0):
    (pt, pb), (pl, pr) = pads
    return np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=value)


def window_slice(i, j, oh, ow, sh, sw, dh=1, dw=1):
    """Index of the padded-input cells touched by kernel tap (i, j) for every output."""
    r0, c0 = i * dh, j * dw
    return (slice(None),
            slice(r0, r0 + (oh - 1) * sh + 1, sh),
            slice(c0, c0 + (ow - 1) * sw + 1, sw),
            slice(None))


__all__ = ["f64", "pads_of", "pad_hw", "window_slice"]
