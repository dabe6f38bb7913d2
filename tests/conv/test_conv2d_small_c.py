"""Convolutions with few input channels (C = 1..4, the first layer of an image CNN): the direct
backward-filter kernel and the forward path, against the float64 reference on every ISA."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastconv
from fastconv import ops, reference
from fastconv._geometry import resolve_padding
from assertions import assert_within, gemm_error_bound

SETTINGS = settings(max_examples=15, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def small_c_configs(draw):
    """C in 1..4, F around the SIMD widths, odd sizes, strides, dilation, all padding modes."""
    n = draw(st.integers(1, 3))
    c = draw(st.integers(1, 4))
    f = draw(st.one_of(st.integers(1, 40), st.sampled_from([8, 16, 17, 31, 32, 33, 64])))
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    padding = draw(st.sampled_from(["valid", "same", "explicit"]))
    eh, ew = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    if padding == "valid":
        h, w = draw(st.integers(eh, eh + 17)), draw(st.integers(ew, ew + 17))
    elif padding == "explicit":
        padding = ((draw(st.integers(0, 3)), draw(st.integers(0, 3))),
                   (draw(st.integers(0, 3)), draw(st.integers(0, 3))))
        h = draw(st.integers(max(1, eh - sum(padding[0])), 20))
        w = draw(st.integers(max(1, ew - sum(padding[1])), 20))
    else:
        h, w = draw(st.integers(1, 20)), draw(st.integers(1, 20))
    pads = resolve_padding(padding, (h, w), (kh, kw), (sh, sw), (dh, dw), "test")
    return (n, h, w, c), (kh, kw, c, f), (sh, sw), pads, (dh, dw)


def _rand(rng, shape):
    return rng.standard_normal(shape).astype(np.float32)


@SETTINGS
@given(geom=small_c_configs(), seed=st.integers(0, 2**31))
def test_small_c_bwd_filter_matches_reference(isa, geom, seed):
    x_shape, w_shape, strides, pads, dilation = geom
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
@given(geom=small_c_configs(), bias=st.booleans(), relu=st.booleans(), seed=st.integers(0, 2**31))
def test_small_c_fwd_matches_reference(isa, geom, bias, relu, seed):
    x_shape, w_shape, strides, pads, dilation = geom
    rng = np.random.default_rng(seed)
    x, w = _rand(rng, x_shape), _rand(rng, w_shape)
    b = _rand(rng, (w_shape[3],)) if bias else None
    args = (strides, pads, dilation)
    y = ops.conv2d_fwd(x, w, b, *args, relu=relu)
    expected = reference.conv2d_fwd(x, w, b, *args, relu=relu)
    absprod = reference.conv2d_fwd(np.abs(x), np.abs(w), None if b is None else np.abs(b), *args)
    what = f"[{isa}] x{x_shape} w{w_shape} s{strides} p{pads} d{dilation}"
    assert_within(y, expected, gemm_error_bound(absprod, int(np.prod(w_shape[:3]))),
                  "conv2d_fwd " + what)


@pytest.mark.parametrize("c", [1, 2, 3, 4])
def test_small_c_lab_layer_shapes(isa, c):
    """A 28x28 'same' 3x3 layer (the lab's first layer and its RGB-like variants), enough pixels
    that the backward-filter reduction is split into several chunks."""
    rng = np.random.default_rng(c)
    x, w = _rand(rng, (12, 28, 28, c)), _rand(rng, (3, 3, c, 32))
    args = ((1, 1), ((1, 1), (1, 1)), (1, 1))
    y = ops.conv2d_fwd(x, w, None, *args, relu=False)
    assert_within(y, reference.conv2d_fwd(x, w, None, *args),
                  gemm_error_bound(reference.conv2d_fwd(np.abs(x), np.abs(w), None, *args), 9 * c),
                  f"conv2d_fwd [{isa}] c={c}")
    dy = _rand(rng, y.shape)
    dw, db = ops.conv2d_bwd_filter(x, dy, w.shape, *args)
    edw, edb = reference.conv2d_bwd_filter(x, dy, w.shape, *args)
    adw, _ = reference.conv2d_bwd_filter(np.abs(x), np.abs(dy), w.shape, *args)
    assert_within(dw, edw, gemm_error_bound(adw, 12 * 28 * 28), f"dw [{isa}] c={c}")


@pytest.mark.parametrize("geom", [
    ((24, 28, 28, 1), (3, 3, 1, 32), (1, 1), ((1, 1), (1, 1)), (1, 1)),
    ((9, 23, 19, 3), (5, 3, 3, 17), (2, 1), ((2, 1), (0, 3)), (1, 2)),
    ((7, 31, 30, 4), (3, 3, 4, 40), (1, 2), ((0, 0), (0, 0)), (1, 1)),
])
def test_small_c_bit_identical_across_thread_counts(isa, threads, geom):
    x_shape, w_shape, strides, pads, dilation = geom
    rng = np.random.default_rng(11)
    x, w, b = _rand(rng, x_shape), _rand(rng, w_shape), _rand(rng, (w_shape[3],))
    args = (strides, pads, dilation)
    results = []
    for nt in (1, 2):
        fastconv.set_num_threads(nt)
        y = ops.conv2d_fwd(x, w, b, *args, relu=True)
        dw, db = ops.conv2d_bwd_filter(x, np.cos(y), w_shape, *args)
        results.append((y, dw, db))
    for name, a, b_ in zip(("y", "dw", "db"), results[0], results[1]):
        np.testing.assert_array_equal(a, b_, err_msg=f"{name} differs between 1 and 2 threads")
