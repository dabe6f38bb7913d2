"""The per-tap backward-filter path (C >= 8, not 1x1, at least 4096 output pixels), which the
small hypothesis shapes of test_conv2d.py do not reach: against the float64 reference on every
ISA, with strides, dilation, asymmetric padding, channel tails (C, F not multiples of 12/16/32)
and several pixel chunks; and bit-identical for 1, 2 and 3 threads."""

from __future__ import annotations

import numpy as np
import pytest

import fastconv
from fastconv import _core, reference
from fastconv.ops import conv as C
from assertions import assert_within

U = 2.0**-24

CASES = [
    # (N, H, W, C), (KH, KW, F), strides, pads, dilation   -> output pixels M
    ((4, 40, 40, 9), (3, 3, 13), (1, 1), ((1, 1), (1, 1)), (1, 1)),        # 6400, kr tail 9
    ((8, 48, 48, 10), (3, 3, 33), (2, 2), ((0, 1), (1, 0)), (1, 1)),       # 4608, F tail 1
    ((3, 45, 43, 17), (2, 3, 40), (1, 1), ((0, 0), (1, 1)), (2, 1)),       # 5418, dilated
    ((2, 50, 50, 32), (5, 5, 8), (1, 1), ((2, 2), (2, 2)), (1, 1)),        # 5000, 5x5
]


@pytest.fixture(autouse=True)
def _direct_algo():
    """3x3 stride-1 cases would take the Winograd path under 'auto'
    (test_conv_wgrad_winograd.py): force the per-tap path they are here for."""
    previous = _core.get_conv_algo()
    _core.set_conv_algo("direct")
    try:
        yield
    finally:
        _core.set_conv_algo(previous)


def _run(x, dy, w_shape, strides, pads, dilation):
    return C.conv2d_bwd_filter(x, dy, w_shape, strides, pads, dilation)


@pytest.mark.parametrize("case", CASES, ids=lambda c: "x".join(map(str, c[0])))
def test_tap_path_matches_reference(isa, rng, case):
    (n, h, w, c), (kh, kw, f), strides, pads, dilation = case
    x = rng.standard_normal((n, h, w, c)).astype(np.float32)
    oh = (h + pads[0][0] + pads[0][1] - (kh - 1) * dilation[0] - 1) // strides[0] + 1
    ow = (w + pads[1][0] + pads[1][1] - (kw - 1) * dilation[1] - 1) // strides[1] + 1
    assert n * oh * ow >= 4096
    dy = rng.standard_normal((n, oh, ow, f)).astype(np.float32)
    dw, db = _run(x, dy, (kh, kw, c, f), strides, pads, dilation)
    ref_dw, ref_db = reference.conv2d_bwd_filter(x, dy, (kh, kw, c, f), strides, pads, dilation)
    abs_dw, abs_db = reference.conv2d_bwd_filter(np.abs(x), np.abs(dy), (kh, kw, c, f), strides,
                                                 pads, dilation)
    m = n * oh * ow
    assert_within(dw, ref_dw, 2 * m * U * abs_dw + 1e-30, f"dw[{isa}] {case}")
    assert_within(db, ref_db, 2 * m * U * abs_db + 1e-30, f"db[{isa}] {case}")


def test_tap_path_bit_identical_for_any_thread_count(isa, threads, rng):
    (n, h, w, c), (kh, kw, f), strides, pads, dilation = CASES[1]
    x = rng.standard_normal((n, h, w, c)).astype(np.float32)
    dy = rng.standard_normal((n, 24, 24, f)).astype(np.float32)
    out = []
    for t in (1, 2, 3):
        fastconv.set_num_threads(t)
        out.append(_run(x, dy, (kh, kw, c, f), strides, pads, dilation))
    for dw, db in out[1:]:
        assert np.array_equal(dw, out[0][0]) and np.array_equal(db, out[0][1])
