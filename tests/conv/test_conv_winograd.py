"""Winograd F(2x2, 3x3) forward convolution (and the stride-1 backward-data pass that runs on it)
against the float64 reference, on every ISA, with the algorithm forced through
_core.set_conv_algo; bit-identical across thread counts; exact on small integers."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastconv
from fastconv import _core, ops, reference
from _wino_cases import desc, rand, winograd_bound, wino_configs
from assertions import assert_within, gemm_error_bound

# The tape tests' finite-difference checker (tests/autograd has no conftest to put it on the path).
sys.path.append(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                             "autograd"))
from _tape_check import check_op  # noqa: E402

SETTINGS = settings(max_examples=15, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

# The algorithms under test: name -> output tile (every ISA has F(2x2, 3x3) and F(4x4, 3x3)).
ALGOS = {"winograd": 2, "winograd4": 4}



@pytest.mark.parametrize("name", ALGOS)
@SETTINGS
@given(cfg=wino_configs(), bias=st.booleans(), relu=st.booleans(), seed=st.integers(0, 2**31))
def test_winograd_fwd_matches_reference(isa, algo, name, cfg, bias, relu, seed):
    algo(name)
    rng = np.random.default_rng(seed)
    x, w = rand(rng, cfg["x_shape"]), rand(rng, cfg["w_shape"])
    b = rand(rng, (cfg["w_shape"][3],)) if bias else None
    args = ((1, 1), cfg["pads"], (1, 1))
    y = ops.conv2d_fwd(x, w, b, *args, relu=relu)
    expected = reference.conv2d_fwd(x, w, b, *args, relu=relu)
    bound = winograd_bound(np.abs(x), np.abs(w), cfg["pads"], expected.shape[1:3],
                           None if b is None else np.abs(b), m=ALGOS[name])
    assert_within(y, expected, bound, f"{name} conv2d_fwd " + desc(cfg, isa))
    y2 = ops.conv2d(x, w, b, padding=cfg["padding"], activation="relu" if relu else None)
    np.testing.assert_array_equal(y2, y)


@pytest.mark.parametrize("name", ALGOS)
@SETTINGS
@given(cfg=wino_configs(), seed=st.integers(0, 2**31))
def test_winograd_bwd_data_matches_reference(isa, algo, name, cfg, seed):
    # Stride-1 backward-data is the forward convolution of dy (padded by 2 - pad) with the
    # spatially flipped, transposed kernel (conv2d_bwd_data.cpp), for C >= 8 and pads <= 2.
    algo(name)
    rng = np.random.default_rng(seed)
    w = rand(rng, cfg["w_shape"])
    args = ((1, 1), cfg["pads"], (1, 1))
    y_shape = reference.conv2d_fwd(np.zeros(cfg["x_shape"]), w, None, *args).shape
    dy = rand(rng, y_shape)
    dx = ops.conv2d_bwd_data(dy, w, cfg["x_shape"], *args)
    expected = reference.conv2d_bwd_data(dy, w, cfg["x_shape"], *args)
    absprod = reference.conv2d_bwd_data(np.abs(dy), np.abs(w), cfg["x_shape"], *args)
    f = cfg["w_shape"][3]
    bound = gemm_error_bound(absprod, 9 * f)
    (pt, pb), (pl, pr) = cfg["pads"]
    if max(pt, pb, pl, pr) <= 2:
        wt = np.abs(w)[::-1, ::-1].transpose(0, 1, 3, 2)
        tpads = ((2 - pt, 2 - pb), (2 - pl, 2 - pr))
        bound = bound + winograd_bound(np.abs(dy), wt, tpads, cfg["x_shape"][1:3],
                                       m=ALGOS[name])
    assert_within(dx, expected, bound, f"{name} conv2d_bwd_data " + desc(cfg, isa))


@pytest.mark.parametrize("name", ALGOS)
@pytest.mark.parametrize("geom", [
    # (x_shape, F, pads): several blocks of tiles, channel tails, asymmetric pads, edge tiles
    ((3, 30, 29, 40), 40, ((1, 1), (1, 1))),
    ((2, 17, 23, 33), 17, ((0, 2), (1, 0))),
])
def test_winograd_bit_identical_across_thread_counts(isa, algo, threads, name, geom):
    algo(name)
    x_shape, f, pads = geom
    rng = np.random.default_rng(11)
    x, w, b = rand(rng, x_shape), rand(rng, (3, 3, x_shape[3], f)), rand(rng, (f,))
    args = ((1, 1), pads, (1, 1))
    results = []
    for nt in (1, 2, 3):
        fastconv.set_num_threads(nt)
        y = ops.conv2d_fwd(x, w, b, *args, relu=True)
        dx = ops.conv2d_bwd_data(np.sin(y), w, x_shape, *args)
        results.append((y, dx))
    for nt, r in zip((2, 3), results[1:]):
        for name, a, b_ in zip(("y", "dx"), results[0], r):
            np.testing.assert_array_equal(a, b_, err_msg=f"{name}: 1 vs {nt} threads [{isa}]")


def test_winograd_exact_on_small_integers(isa, algo):
    # The lab's 3x3 image 1..9 with a 3x3 kernel of ones, SAME: every intermediate of the
    # transforms is a small integer or half-integer, so the result is exact.
    algo("winograd")
    img = np.arange(1, 10, dtype=np.float32).reshape(1, 3, 3, 1)
    y = ops.conv2d(img, np.ones((3, 3, 1, 1), np.float32), padding="SAME")
    np.testing.assert_array_equal(y[0, :, :, 0], [[12, 21, 16], [27, 45, 33], [24, 39, 28]])
    rng = np.random.default_rng(3)
    x = rng.integers(-4, 5, (2, 9, 7, 19)).astype(np.float32)
    w = rng.integers(-3, 4, (3, 3, 19, 21)).astype(np.float32)
    b = rng.integers(-5, 6, 21).astype(np.float32)
    for padding in ("same", "valid"):
        y = ops.conv2d(x, w, b, padding=padding, activation="relu")
        np.testing.assert_array_equal(y, reference.conv2d(x, w, b, padding=padding,
                                                          activation="relu"))


def test_algorithms_agree_and_switch_round_trips(isa, algo, rng):
    x, w, b = rand(rng, (2, 12, 12, 32)), rand(rng, (3, 3, 32, 48)), rand(rng, (48,))
    out = {}
    for name in ("direct", "winograd", "auto"):
        algo(name)
        assert _core.get_conv_algo() == name
        out[name] = ops.conv2d(x, w, b, padding="same")
    expected = reference.conv2d(x, w, b, padding="same")
    bound = winograd_bound(np.abs(x), np.abs(w), ((1, 1), (1, 1)), (12, 12), np.abs(b))
    for name, y in out.items():
        assert_within(y, expected, bound, f"{name} [{isa}]")
    with pytest.raises(ValueError, match="set_conv_algo: unknown algorithm 'fast'"):
        _core.set_conv_algo("fast")


def test_nan_and_inf_propagate(isa, algo):
    algo("winograd")
    x = np.ones((1, 6, 6, 16), np.float32)
    x[0, 2, 3, 5] = np.nan
    w = np.ones((3, 3, 16, 16), np.float32)
    y = ops.conv2d(x, w, padding="same", activation="relu")
    assert np.isnan(y[0, 1:4, 2:5]).all()
    assert np.isfinite(y[0, 5, 0]).all()


@pytest.mark.parametrize("cfg", [
    dict(x=(2, 4, 5, 8), w=(3, 3, 8, 3), padding="valid"),
    dict(x=(1, 5, 3, 9), w=(3, 3, 9, 4), padding="same"),
    dict(x=(1, 4, 6, 8), w=(3, 3, 8, 2), padding=((0, 2), (1, 0))),
])
@pytest.mark.parametrize("activation", [None, "relu"])
def test_tape_gradients_with_winograd(isa, algo, rng, cfg, activation):
    # The tape's conv2d gradients (forward and stride-1 bwd-data both on Winograd: C >= 8,
    # pads <= 2) against finite differences of the float64 reference, as in test_tape_ops.
    algo("winograd")
    x, w = rng.standard_normal(cfg["x"]), rng.standard_normal(cfg["w"])
    b = rng.standard_normal(cfg["w"][3])
    check_op(lambda x_, w_, b_: ops.conv2d(x_, w_, b_, padding=cfg["padding"],
                                           activation=activation),
             lambda x_, w_, b_: reference.conv2d(x_, w_, b_, padding=cfg["padding"],
                                                 activation=activation),
             [x, w, b], rng, f"winograd conv2d {cfg} {activation} [{isa}]")


def test_env_switch_is_read_once_and_validated(tmp_path):
    # FASTCONV_CONV_ALGO in a fresh process: 'direct' and 'winograd' are honoured, junk fails
    # at the first convolution with an error naming the variable.
    import subprocess
    code = ("import numpy as np, fastconv; from fastconv import _core;"
            "fastconv.ops.conv2d(np.ones((1,4,4,1),np.float32), np.ones((3,3,1,1),np.float32));"
            "print(_core.get_conv_algo())")
    for value in ("winograd",):
        env = dict(os.environ, FASTCONV_CONV_ALGO=value)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True)
        assert out.stdout.strip() == value
    env = dict(os.environ, FASTCONV_CONV_ALGO="fastest")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode != 0 and "FASTCONV_CONV_ALGO='fastest'" in out.stderr


def test_auto_routing(isa, algo, rng):
    # auto takes Winograd for a lab-sized 3x3 layer and keeps the direct path where the kernel
    # transform would not pay (batch 1, 7x7) and for other geometries: bit-exact agreement with
    # the forced algorithm shows which path ran.
    def run(name, x, w, **kw):
        algo(name)
        return ops.conv2d(x, w, padding="same", **kw)

    # (F(4x4, 3x3) with enough 4x4 tiles: test_conv_winograd4.py.)
    x, w = rand(rng, (8, 14, 14, 32)), rand(rng, (3, 3, 32, 64))
    np.testing.assert_array_equal(run("auto", x, w), run("winograd4", x, w))
    x, w = rand(rng, (1, 7, 7, 64)), rand(rng, (3, 3, 64, 128))
    np.testing.assert_array_equal(run("auto", x, w), run("direct", x, w))
    x, w = rand(rng, (8, 14, 14, 32)), rand(rng, (3, 3, 32, 64))
    for kw in (dict(strides=2), dict(dilation_rate=2)):
        np.testing.assert_array_equal(run("winograd", x, w, **kw), run("direct", x, w, **kw))


def test_winograd_deep_channels_split_depth(isa, algo, rng):
    # C above the GEMM kernel's depth block (256 scalar/AVX2, 384 AVX-512): the 16 products
    # accumulate over depth blocks in a fixed order.
    algo("winograd")
    x, w, b = rand(rng, (1, 5, 6, 400)), rand(rng, (3, 3, 400, 20)), rand(rng, (20,))
    pads = ((1, 1), (0, 2))
    y = ops.conv2d_fwd(x, w, b, (1, 1), pads)
    expected = reference.conv2d_fwd(x, w, b, (1, 1), pads)
    bound = winograd_bound(np.abs(x), np.abs(w), pads, expected.shape[1:3], np.abs(b))
    assert_within(y, expected, bound, f"winograd C=400 [{isa}]")
