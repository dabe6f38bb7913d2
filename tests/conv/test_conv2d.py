"""fastconv.ops conv2d (forward, backward-data, backward-filter) against the float64 reference,
on every ISA, over hypothesis-generated geometries; plus the lab's exact outputs and errors."""

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


@st.composite
def conv_configs(draw):
    """A valid geometry: batch 1..4, H/W 1..20, C/F 1..40, kernels 1..5, strides 1..3,
    dilation 1..2, padding 'valid' / 'same' (any case) / explicit."""
    n = draw(st.integers(1, 4))
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    c = draw(st.one_of(st.integers(1, 40), st.sampled_from([1, 3, 8, 15, 16, 17, 33])))
    f = draw(st.one_of(st.integers(1, 40), st.sampled_from([1, 7, 16, 32, 33])))
    mode = draw(st.sampled_from(["valid", "same", "SAME", "explicit"]))
    eh, ew = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    if mode == "valid":
        h, w = draw(st.integers(eh, max(eh, 20))), draw(st.integers(ew, max(ew, 20)))
        padding = draw(st.sampled_from(["valid", "VALID"]))
    elif mode == "explicit":
        pads = ((draw(st.integers(0, 3)), draw(st.integers(0, 3))),
                (draw(st.integers(0, 3)), draw(st.integers(0, 3))))
        h = draw(st.integers(max(1, eh - pads[0][0] - pads[0][1]), 20))
        w = draw(st.integers(max(1, ew - pads[1][0] - pads[1][1]), 20))
        padding = pads
    else:  # 'same' works for any size, including inputs smaller than the kernel
        h, w = draw(st.integers(1, 20)), draw(st.integers(1, 20))
        padding = mode
    pads = resolve_padding(padding, (h, w), (kh, kw), (sh, sw), (dh, dw), "test")
    return dict(x_shape=(n, h, w, c), w_shape=(kh, kw, c, f), strides=(sh, sw),
                dilation=(dh, dw), padding=padding, pads=pads)


def _rand(rng, shape):
    return rng.standard_normal(shape).astype(np.float32)


def _desc(cfg, isa):
    return (f"[{isa}] x{cfg['x_shape']} w{cfg['w_shape']} s{cfg['strides']} "
            f"d{cfg['dilation']} p{cfg['pads']}")


@SETTINGS
@given(cfg=conv_configs(), bias=st.booleans(), relu=st.booleans(), seed=st.integers(0, 2**31))
def test_conv2d_fwd_matches_reference(isa, cfg, bias, relu, seed):
    rng = np.random.default_rng(seed)
    x, w = _rand(rng, cfg["x_shape"]), _rand(rng, cfg["w_shape"])
    b = _rand(rng, (cfg["w_shape"][3],)) if bias else None
    args = (cfg["strides"], cfg["pads"], cfg["dilation"])
    y = ops.conv2d_fwd(x, w, b, *args, relu=relu)
    expected = reference.conv2d_fwd(x, w, b, *args, relu=relu)
    assert y.dtype == np.float32
    absprod = reference.conv2d_fwd(np.abs(x), np.abs(w), None if b is None else np.abs(b), *args)
    k = int(np.prod(cfg["w_shape"][:3]))
    assert_within(y, expected, gemm_error_bound(absprod, k), "conv2d_fwd " + _desc(cfg, isa))
    # The Keras-style entry point resolves the same geometry.
    y2 = ops.conv2d(x, w, b, strides=cfg["strides"], padding=cfg["padding"],
                    dilation_rate=cfg["dilation"], activation="relu" if relu else None)
    np.testing.assert_array_equal(y2, y)


@SETTINGS
@given(cfg=conv_configs(), seed=st.integers(0, 2**31))
def test_conv2d_bwd_data_matches_reference(isa, cfg, seed):
    rng = np.random.default_rng(seed)
    w = _rand(rng, cfg["w_shape"])
    args = (cfg["strides"], cfg["pads"], cfg["dilation"])
    y_shape = reference.conv2d_fwd(np.zeros(cfg["x_shape"]), w, None, *args).shape
    dy = _rand(rng, y_shape)
    dx = ops.conv2d_bwd_data(dy, w, cfg["x_shape"], *args)
    expected = reference.conv2d_bwd_data(dy, w, cfg["x_shape"], *args)
    absprod = reference.conv2d_bwd_data(np.abs(dy), np.abs(w), cfg["x_shape"], *args)
    kh, kw, _, f = cfg["w_shape"]
    assert dx.dtype == np.float32
    assert_within(dx, expected, gemm_error_bound(absprod, kh * kw * f),
                  "conv2d_bwd_data " + _desc(cfg, isa))


@SETTINGS
@given(cfg=conv_configs(), seed=st.integers(0, 2**31))
def test_conv2d_bwd_filter_matches_reference(isa, cfg, seed):
    rng = np.random.default_rng(seed)
    x = _rand(rng, cfg["x_shape"])
    args = (cfg["strides"], cfg["pads"], cfg["dilation"])
    y_shape = reference.conv2d_fwd(x, np.zeros(cfg["w_shape"]), None, *args).shape
    dy = _rand(rng, y_shape)
    dw, db = ops.conv2d_bwd_filter(x, dy, cfg["w_shape"], *args)
    edw, edb = reference.conv2d_bwd_filter(x, dy, cfg["w_shape"], *args)
    adw, adb = reference.conv2d_bwd_filter(np.abs(x), np.abs(dy), cfg["w_shape"], *args)
    m = int(np.prod(y_shape[:3]))
    assert dw.dtype == np.float32 and db.dtype == np.float32
    assert_within(dw, edw, gemm_error_bound(adw, m), "conv2d_bwd_filter dw " + _desc(cfg, isa))
    assert_within(db, edb, gemm_error_bound(adb, m), "conv2d_bwd_filter db " + _desc(cfg, isa))


@pytest.mark.parametrize("geom", [
    # (x_shape, w_shape, strides, pads, dilation)
    ((4, 20, 20, 16), (3, 3, 16, 24), (1, 1), ((1, 1), (1, 1)), (1, 1)),
    ((3, 19, 17, 5), (5, 3, 5, 40), (2, 1), ((2, 1), (0, 3)), (1, 2)),
    ((4, 16, 16, 40), (1, 1, 40, 33), (1, 1), ((0, 0), (0, 0)), (1, 1)),
])
def test_conv2d_bit_identical_across_thread_counts(isa, threads, geom):
    x_shape, w_shape, strides, pads, dilation = geom
    rng = np.random.default_rng(7)
    x, w, b = _rand(rng, x_shape), _rand(rng, w_shape), _rand(rng, (w_shape[3],))
    args = (strides, pads, dilation)
    results = []
    for nt in (1, 2):
        fastconv.set_num_threads(nt)
        y = ops.conv2d_fwd(x, w, b, *args, relu=True)
        dy = np.sin(y)  # deterministic, same for both runs
        dx = ops.conv2d_bwd_data(dy, w, x_shape, *args)
        dw, db = ops.conv2d_bwd_filter(x, dy, w_shape, *args)
        results.append((y, dx, dw, db))
    for name, a, b_ in zip(("y", "dx", "dw", "db"), results[0], results[1]):
        np.testing.assert_array_equal(a, b_, err_msg=f"{name} differs between 1 and 2 threads")


def _lab_image():
    return np.arange(1, 10, dtype=np.float32).reshape(1, 3, 3, 1)


def test_lab_valid_2x2_all_ones(isa):
    y = ops.conv2d(_lab_image(), np.ones((2, 2, 1, 1), np.float32), padding="VALID")
    assert y.shape == (1, 2, 2, 1)
    np.testing.assert_array_equal(y[0, :, :, 0], [[12, 16], [24, 28]])


def test_lab_same_three_filters(isa):
    w = np.ones((2, 2, 1, 3), np.float32) * np.array([1, 10, -1], np.float32)
    y = ops.conv2d(_lab_image(), w, padding="SAME")
    base = np.array([[12, 16, 9], [24, 28, 15], [15, 17, 9]], np.float32)
    assert y.shape == (1, 3, 3, 3)
    for f, scale in enumerate([1, 10, -1]):
        np.testing.assert_array_equal(y[0, :, :, f], base * scale)


def test_lab_28x28_stride2_same_shape(isa, rng):
    x = _rand(rng, (1, 28, 28, 1))
    w = _rand(rng, (3, 3, 1, 5))
    y = ops.conv2d(x, w, strides=2, padding="same")
    assert y.shape == (1, 14, 14, 5)
    expected = reference.conv2d(x, w, strides=2, padding="same")
    assert_within(y, expected, gemm_error_bound(
        reference.conv2d(np.abs(x), np.abs(w), strides=2, padding="same"), 9), "lab 28x28")


def test_zero_batch_gives_empty_results(isa):
    x = np.zeros((0, 5, 5, 3), np.float32)
    w = np.ones((3, 3, 3, 4), np.float32)
    y = ops.conv2d(x, w, padding="same")
    assert y.shape == (0, 5, 5, 4)
    dx = ops.conv2d_bwd_data(y, w, x.shape, (1, 1), ((1, 1), (1, 1)))
    assert dx.shape == x.shape
    dw, db = ops.conv2d_bwd_filter(x, y, w.shape, (1, 1), ((1, 1), (1, 1)))
    np.testing.assert_array_equal(dw, np.zeros(w.shape, np.float32))
    np.testing.assert_array_equal(db, np.zeros(4, np.float32))


def test_stride_larger_than_kernel_leaves_zero_gradients(isa, rng):
    # 1x1 kernel, stride 3: input pixels between the samples get dx = 0.
    w = _rand(rng, (1, 1, 2, 3))
    dy = _rand(rng, (2, 3, 3, 3))
    dx = ops.conv2d_bwd_data(dy, w, (2, 7, 7, 2), (3, 3), ((0, 0), (0, 0)))
    expected = reference.conv2d_bwd_data(dy, w, (2, 7, 7, 2), (3, 3), ((0, 0), (0, 0)))
    assert_within(dx, expected, gemm_error_bound(
        reference.conv2d_bwd_data(np.abs(dy), np.abs(w), (2, 7, 7, 2), (3, 3)), 3), "dx")


def test_integer_inputs_are_converted():
    y = ops.conv2d(np.arange(1, 10).reshape(1, 3, 3, 1), np.ones((2, 2, 1, 1), np.int64))
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y[0, :, :, 0], [[12, 16], [24, 28]])


def test_errors():
    x = np.zeros((8, 32, 32, 4), np.float32)
    w = np.zeros((3, 3, 3, 16), np.float32)
    with pytest.raises(ValueError, match=r"conv2d: x has 4 channels but kernel expects 3 "
                       r"\(x.shape=\(8, 32, 32, 4\), kernel.shape=\(3, 3, 3, 16\)\)"):
        ops.conv2d(x, w)
    with pytest.raises(ValueError, match="larger than padded input"):
        ops.conv2d(np.zeros((1, 3, 3, 1)), np.zeros((5, 5, 1, 1)))
    with pytest.raises(ValueError, match="rank 4"):
        ops.conv2d(np.zeros((3, 3, 1)), np.zeros((2, 2, 1, 1)))
    with pytest.raises(ValueError, match="padding"):
        ops.conv2d(np.zeros((1, 3, 3, 1)), np.zeros((2, 2, 1, 1)), padding="full")
    with pytest.raises(ValueError, match="activation"):
        ops.conv2d(np.zeros((1, 3, 3, 1)), np.zeros((2, 2, 1, 1)), activation="tanh")
    with pytest.raises(TypeError, match="real numbers"):
        ops.conv2d(np.zeros((1, 3, 3, 1), complex), np.zeros((2, 2, 1, 1)))
    with pytest.raises(ValueError, match="b must have shape"):
        ops.conv2d(np.zeros((1, 3, 3, 1)), np.zeros((2, 2, 1, 2)), b=np.zeros(3))
    with pytest.raises(ValueError, match=r"conv2d_bwd_data: dy.shape"):
        ops.conv2d_bwd_data(np.zeros((1, 2, 2, 2)), np.zeros((2, 2, 1, 2)), (1, 4, 4, 1))
    with pytest.raises(ValueError, match=r"conv2d_bwd_filter: dy.shape"):
        ops.conv2d_bwd_filter(np.zeros((1, 4, 4, 1)), np.zeros((1, 2, 2, 2)), (2, 2, 1, 2))
    with pytest.raises(ValueError, match="strides"):
        ops.conv2d_fwd(np.zeros((1, 3, 3, 1)), np.zeros((2, 2, 1, 1)), strides=0)
    with pytest.raises(ValueError, match="explicit"):
        ops.conv2d_fwd(np.zeros((1, 3, 3, 1)), np.zeros((2, 2, 1, 1)), pads="same")


def test_native_rechecks_invariants():
    from fastconv import _core
    x = np.zeros((1, 3, 3, 2), np.float32)
    w = np.zeros((2, 2, 3, 1), np.float32)
    with pytest.raises(ValueError, match="channels"):
        _core.conv2d_fwd(x, w, None, 1, 1, 0, 0, 0, 0, 1, 1, False)
    w = np.zeros((5, 5, 2, 1), np.float32)
    with pytest.raises(ValueError, match="larger than padded input"):
        _core.conv2d_fwd(x, w, None, 1, 1, 0, 0, 0, 0, 1, 1, False)
    with pytest.raises(ValueError, match="dy has shape"):
        _core.conv2d_bwd_filter(x, np.zeros((1, 5, 5, 1), np.float32), 2, 2, 1, 1, 0, 0, 0, 0,
                                1, 1)


def test_very_deep_receptive_field_uses_gemm_fallback(isa, rng):
    # K = 3*3*1000 = 9000 exceeds the indirect kernel's depth limit (8192): the forward runs on
    # the shared GEMM driver with the implicit-im2col packer instead.
    x, w, b = _rand(rng, (2, 5, 4, 1000)), _rand(rng, (3, 3, 1000, 5)), _rand(rng, (5,))
    args = ((1, 2), ((1, 1), (0, 2)), (1, 1))
    y = ops.conv2d_fwd(x, w, b, *args, relu=True)
    expected = reference.conv2d_fwd(x, w, b, *args, relu=True)
    bound = gemm_error_bound(reference.conv2d_fwd(np.abs(x), np.abs(w), np.abs(b), *args), 9000)
    assert_within(y, expected, bound, f"deep K [{isa}]")


@SETTINGS
@given(cfg=conv_configs(), seed=st.integers(0, 2**31))
def test_backward_passes_are_adjoint_to_forward(isa, cfg, seed):
    # The gradient identities behind both backward passes, checked on the native kernels
    # directly: <conv(x, w), dy> = <x, bwd_data(dy, w)> = <w, bwd_filter(x, dy)>.
    rng = np.random.default_rng(seed)
    x, w = _rand(rng, cfg["x_shape"]), _rand(rng, cfg["w_shape"])
    args = (cfg["strides"], cfg["pads"], cfg["dilation"])
    y = ops.conv2d_fwd(x, w, None, *args)
    dy = _rand(rng, y.shape)
    dx = ops.conv2d_bwd_data(dy, w, x.shape, *args)
    dw, _ = ops.conv2d_bwd_filter(x, dy, w.shape, *args)
    f64 = np.float64
    lhs = float(np.sum(y.astype(f64) * dy))
    scale = float(np.sum(np.abs(reference.conv2d_fwd(np.abs(x), np.abs(w), None, *args))
                         * np.abs(dy))) + 1e-30
    k = int(np.prod(cfg["w_shape"][:3])) + int(np.prod(y.shape[:3]))
    tol = 4 * (k + 2) * 2.0**-24 * scale
    assert abs(lhs - float(np.sum(x.astype(f64) * dx))) <= tol, _desc(cfg, isa)
    assert abs(lhs - float(np.sum(w.astype(f64) * dw))) <= tol, _desc(cfg, isa)
