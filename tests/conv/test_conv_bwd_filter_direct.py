"""The direct backward-filter path for few input channels (C <= 4, K = KH*KW*C < 64: a first
layer on a grey or RGB image): a zero-padded copy of x, dw and db summed in registers over runs
of output rows, K split into groups of <= 9 taps, F into column panels. Against the float64
reference on every ISA, over shapes whose pixel count splits into several chunks with
boundaries inside output rows; bit-identical for 1, 2 and 3 threads."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastconv
from fastconv import ops, reference
from fastconv._geometry import resolve_padding
from assertions import assert_within, gemm_error_bound

SETTINGS = settings(max_examples=12, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _rand(rng, shape):
    return rng.standard_normal(shape).astype(np.float32)


@st.composite
def direct_configs(draw):
    """C 1..4 with K < 64 (so the direct path runs), F across the panel widths (8, 32), enough
    pixels for several chunks (1024 pixels each at least) and odd output widths."""
    c = draw(st.integers(1, 4))
    kh = draw(st.integers(1, 5))
    kw = draw(st.integers(1, max(1, min(5, 63 // (kh * c)))))
    f = draw(st.one_of(st.integers(1, 40), st.sampled_from([7, 8, 9, 16, 17, 32, 33, 64, 65])))
    sh, sw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    padding = draw(st.sampled_from(["valid", "same", "explicit"]))
    eh, ew = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    n = draw(st.integers(1, 4))
    h, w = draw(st.integers(eh, eh + 40)), draw(st.integers(ew, ew + 40))
    if padding == "explicit":
        padding = ((draw(st.integers(0, 3)), draw(st.integers(0, 3))),
                   (draw(st.integers(0, 3)), draw(st.integers(0, 3))))
    pads = resolve_padding(padding, (h, w), (kh, kw), (sh, sw), (dh, dw), "test")
    return (n, h, w, c), (kh, kw, c, f), (sh, sw), pads, (dh, dw)


def _check(isa, x_shape, w_shape, strides, pads, dilation, seed):
    rng = np.random.default_rng(seed)
    x = _rand(rng, x_shape)
    args = (strides, pads, dilation)
    y_shape = reference.conv2d_fwd(x, np.zeros(w_shape), None, *args).shape
    dy = _rand(rng, y_shape)
    dw, db = ops.conv2d_bwd_filter(x, dy, w_shape, *args)
    edw, edb = reference.conv2d_bwd_filter(x, dy, w_shape, *args)
    adw, adb = reference.conv2d_bwd_filter(np.abs(x), np.abs(dy), w_shape, *args)
    m = int(np.prod(y_shape[:3]))
    what = f"[{isa}] x{x_shape} w{w_shape} s{strides} p{pads} d{dilation}"
    assert_within(dw, edw, gemm_error_bound(adw, m), "conv2d_bwd_filter dw " + what)
    assert_within(db, edb, gemm_error_bound(adb, m), "conv2d_bwd_filter db " + what)


@SETTINGS
@given(geom=direct_configs(), seed=st.integers(0, 2**31))
def test_direct_bwd_filter_matches_reference(isa, geom, seed):
    _check(isa, *geom, seed)


@pytest.mark.parametrize("geom", [
    # the lab's first layer (9 taps, one group; 32 columns: one AVX-512 panel, four of 8)
    ((8, 28, 28, 1), (3, 3, 1, 32), (1, 1), ((1, 1), (1, 1)), (1, 1)),
    # 1x1 on one channel with padding (not pointwise): a single tap
    ((2, 9, 7, 1), (1, 1, 1, 5), (1, 1), ((1, 2), (0, 3)), (1, 1)),
    # K = 49 taps in six groups of <= 9; F = 33: a one-column panel at the edge
    ((3, 30, 31, 1), (7, 7, 1, 33), (1, 1), ((3, 3), (3, 3)), (1, 1)),
    # RGB 3x3 (K = 27: three groups of 9), stride 2 with odd width
    ((2, 45, 47, 3), (3, 3, 3, 16), (2, 2), ((0, 1), (0, 1)), (1, 1)),
    # C = 4, dilation, F = 1
    ((2, 33, 29, 4), (3, 2, 4, 1), (1, 2), ((2, 2), (1, 1)), (2, 2)),
    # a kernel as large as the padded input: one output pixel per image
    ((5, 4, 3, 2), (5, 4, 2, 9), (1, 1), ((1, 0), (0, 1)), (1, 1)),
])
def test_direct_bwd_filter_edge_shapes(isa, geom):
    _check(isa, *geom, seed=3)


@pytest.mark.parametrize("geom", [
    ((24, 28, 28, 1), (3, 3, 1, 32), (1, 1), ((1, 1), (1, 1)), (1, 1)),
    ((6, 37, 41, 3), (3, 3, 3, 20), (1, 1), ((1, 1), (1, 1)), (1, 1)),
    ((4, 50, 43, 2), (5, 5, 2, 40), (2, 1), ((2, 2), (0, 3)), (1, 1)),
])
def test_direct_bwd_filter_bit_identical_across_thread_counts(isa, threads, geom):
    x_shape, w_shape, strides, pads, dilation = geom
    rng = np.random.default_rng(5)
    x = _rand(rng, x_shape)
    y_shape = reference.conv2d_fwd(x[:1], np.zeros(w_shape), None, strides, pads,
                                   dilation).shape
    dy = _rand(rng, (x_shape[0],) + y_shape[1:])
    results = []
    for nt in (1, 2, 3):
        fastconv.set_num_threads(nt)
        results.append(ops.conv2d_bwd_filter(x, dy, w_shape, strides, pads, dilation))
    for nt, (dw, db) in zip((2, 3), results[1:]):
        np.testing.assert_array_equal(dw, results[0][0], err_msg=f"dw, 1 vs {nt} threads")
        np.testing.assert_array_equal(db, results[0][1], err_msg=f"db, 1 vs {nt} threads")
