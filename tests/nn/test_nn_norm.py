"""Batch normalization and LRN against the float64 reference (whose backward passes are
FD-checked in tests/reference), on every ISA."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastconv
from fastconv import reference
from fastconv.ops import nn
from assertions import assert_within

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
shapes = st.sampled_from([(1, 1), (1, 1, 1, 3), (2, 5), (7, 17), (2, 3, 3, 16), (3, 5, 7, 9),
                          (1, 2, 1, 33), (600, 5), (4, 9, 9, 64),
                          # SIMD channel blocks (64 / 32 per pass) with vector and lane tails
                          (3, 70), (2, 2, 2, 129), (300, 47), (1, 1, 1, 100), (5, 24)])


def _bn_inputs(shape, seed, offset):
    rng = np.random.default_rng(seed)
    c = shape[-1]
    x = (rng.standard_normal(shape) * 2 + offset).astype(np.float32)
    gamma = rng.uniform(0.5, 1.5, c).astype(np.float32)
    beta = rng.standard_normal(c).astype(np.float32)
    mm = rng.standard_normal(c).astype(np.float32)
    mv = rng.uniform(0.5, 2, c).astype(np.float32)
    return x, gamma, beta, mm, mv


@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**31), training=st.booleans(),
       offset=st.sampled_from([0.0, 5.0]))
def test_batch_norm_fwd(isa, shape, seed, training, offset):
    x, gamma, beta, mm, mv = _bn_inputs(shape, seed, offset)
    got = nn.batch_norm_fwd(x, gamma, beta, mm, mv, training)
    ref = reference.batch_norm_fwd(x, gamma, beta, mm, mv, training)
    names = ("y", "new_moving_mean", "new_moving_var", "save_mean", "save_invstd")
    for g, r, name in zip(got, ref, names):
        assert g.dtype == np.float32 and g.shape == r.shape
        assert_within(g, r, 2e-5 * (1 + np.abs(r)), f"batch_norm_fwd {name} [{isa}] {shape}")


@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**31), offset=st.sampled_from([0.0, 5.0]))
def test_batch_norm_bwd(isa, shape, seed, offset):
    x, gamma, beta, mm, mv = _bn_inputs(shape, seed, offset)
    _, _, _, mean, invstd = reference.batch_norm_fwd(x, gamma, beta, mm, mv, True)
    mean, invstd = mean.astype(np.float32), invstd.astype(np.float32)
    dy = np.random.default_rng(seed + 1).standard_normal(shape).astype(np.float32)
    dx, dgamma, dbeta = nn.batch_norm_bwd(dy, x, gamma, mean, invstd)
    rdx, rdg, rdb = reference.batch_norm_bwd(dy, x, gamma, mean, invstd)
    m = x.size // shape[-1]
    scale = np.sqrt(m) * (1 + np.abs(mean) * invstd)
    assert_within(dbeta, rdb, 1e-5 * np.sqrt(m) + 1e-5 * np.abs(rdb), "dbeta")
    assert_within(dgamma, rdg, 1e-5 * scale + 1e-5 * np.abs(rdg), "dgamma")
    assert_within(dx, rdx, 1e-4 * (np.abs(rdx) + gamma * invstd * (1 + np.abs(mean) * invstd)),
                  "dx")


def test_batch_norm_user_function_updates_moving_stats(isa, rng):
    x, gamma, beta, mm, mv = _bn_inputs((8, 4, 4, 6), 3, 1.0)
    mm0, mv0 = mm.copy(), mv.copy()
    y = fastconv.ops.batch_norm(x, gamma, beta, mm, mv, training=True)
    ref = reference.batch_norm_fwd(x, gamma, beta, mm0, mv0, True)
    assert_within(y, ref[0], 1e-4, "y")
    assert_within(mm, ref[1], 1e-5, "moving_mean")
    assert_within(mv, ref[2], 1e-5, "moving_var")
    mm1 = mm.copy()
    y = fastconv.ops.batch_norm(x, gamma, beta, mm, mv)  # inference: stats untouched
    np.testing.assert_array_equal(mm, mm1)
    assert_within(y, reference.batch_norm_fwd(x, gamma, beta, mm, mv, False)[0], 1e-4, "inf")


@pytest.mark.parametrize("shape", [(100, 14, 14, 64), (50, 7, 7, 129)])
def test_batch_norm_thread_independent(isa, threads, rng, shape):
    x, gamma, beta, mm, mv = _bn_inputs(shape, 5, 0.5)
    dy = rng.standard_normal(x.shape).astype(np.float32)
    out = []
    for t in (1, 2, 3):
        fastconv.set_num_threads(t)
        f = nn.batch_norm_fwd(x, gamma, beta, mm, mv, True)
        out.append(f + nn.batch_norm_bwd(dy, x, gamma, f[3], f[4]))
    for other in out[1:]:
        for a, b in zip(out[0], other):
            np.testing.assert_array_equal(a, b)


@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**31), radius=st.sampled_from([0, 1, 2, 5, 40]),
       params=st.sampled_from([(1.0, 1.0, 0.5), (2.0, 1e-4, 0.75), (1.0, 0.1, 1.0),
                               (1.5, 0.3, 0.6)]))  # 0.5 / 0.75 / 1 have sqrt paths in SIMD
def test_lrn(isa, shape, seed, radius, params):
    bias, alpha, beta = params
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    dy = rng.standard_normal(shape).astype(np.float32)
    y = nn.lrn_fwd(x, radius, bias, alpha, beta)
    ref = reference.lrn_fwd(x, radius, bias, alpha, beta)
    assert_within(y, ref, 1e-6 * (np.abs(ref) + 1e-3), "lrn_fwd")
    dx = nn.lrn_bwd(x, dy, radius, bias, alpha, beta)
    rdx = reference.lrn_bwd(x, dy, radius, bias, alpha, beta)
    assert_within(dx, rdx, 1e-5 * (np.abs(rdx) + np.abs(dy) + 1e-3), "lrn_bwd")
    np.testing.assert_array_equal(fastconv.ops.lrn(x, radius, bias, alpha, beta), y)


def test_errors():
    x = np.zeros((2, 3), np.float32)
    c = np.ones(3, np.float32)
    with pytest.raises(ValueError, match=r"batch_norm_fwd: gamma.shape=\(4,\), expected \(3,\) for x.shape=\(2, 3\)"):
        nn.batch_norm_fwd(x, np.ones(4), c, c, c, True)
    with pytest.raises(TypeError, match="training must be a bool"):
        nn.batch_norm_fwd(x, c, c, c, c, 1)
    with pytest.raises(ValueError, match="at least one element"):
        nn.batch_norm_fwd(np.zeros((0, 3)), c, c, c, c, True)
    with pytest.raises(TypeError, match="moving_mean must be float32"):
        fastconv.ops.batch_norm(x, c, c, np.ones(3), c, training=True)
    with pytest.raises(ValueError, match="depth_radius must be >= 0"):
        nn.lrn_fwd(x, -1)
    with pytest.raises(ValueError, match=r"lrn_bwd: x.shape=\(2, 3\) does not match dy.shape"):
        nn.lrn_bwd(x, np.zeros((3, 2)))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 1e30])
@pytest.mark.parametrize("c,at,radius", [(12, 3, 2), (12, 0, 5), (33, 32, 1), (7, 3, 40), (20, 10, 0)])
def test_lrn_non_finite_and_huge_channels_like_the_reference(isa, bad, c, at, radius):
    # A NaN / inf reaches exactly the channels whose window holds it, as in the reference (a
    # sliding window sum used to spread it to every later channel, and to lose the channels after
    # a huge value to cancellation).
    rng = np.random.default_rng(c + at)
    x = rng.standard_normal((3, c)).astype(np.float32)
    x[1, at] = bad
    dy = rng.standard_normal((3, c)).astype(np.float32)
    for bias, alpha, beta in ((1.0, 1.0, 0.5), (2.0, 1e-4, 0.75), (1.0, 0.5, 1.0), (1.0, 0.2, 0.6)):
        with np.errstate(all="ignore"):
            ref = reference.lrn_fwd(x, radius, bias, alpha, beta)
            rdx = reference.lrn_bwd(x, dy, radius, bias, alpha, beta)
        y = nn.lrn_fwd(x, radius, bias, alpha, beta)
        dx = nn.lrn_bwd(x, dy, radius, bias, alpha, beta)
        for got, want, what in ((y, ref, "lrn_fwd"), (dx, rdx, "lrn_bwd")):
            np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=f"{what} NaNs")
            ok = np.isfinite(want)
            np.testing.assert_array_equal(got[~ok & ~np.isnan(want)], want[~ok & ~np.isnan(want)])
            assert_within(got[ok], want[ok], 1e-5 * (np.abs(want[ok]) + 1e-3), what)


@pytest.mark.parametrize("offset,sd", [(1000.0, 0.01), (1e4, 1.0), (-300.0, 1e-3)])
@pytest.mark.parametrize("shape", [(3000, 7), (600, 33), (2, 5, 5, 64)])
def test_batch_norm_statistics_far_from_zero(isa, offset, sd, shape):
    # The batch statistics come from per-block sums and squared deviations from each block's own
    # (rounded) mean, combined in double: a large mean must not cost the variance its accuracy.
    x = (offset + sd * np.random.default_rng(len(shape)).standard_normal(shape)).astype(np.float32)
    c = shape[-1]
    ones, zeros = np.ones(c, np.float32), np.zeros(c, np.float32)
    got = nn.batch_norm_fwd(x, ones, zeros, zeros, ones, True, epsilon=0.0)
    ref = reference.batch_norm_fwd(x, ones, zeros, zeros, ones, True, epsilon=0.0)
    assert_within(got[3], ref[3], 2 * 2**-24 * np.abs(ref[3]), "save_mean")
    assert_within(got[4], ref[4], 2e-6 * ref[4], "save_invstd")


@pytest.mark.parametrize("c,radius,beta", [(64, 2, 0.75), (37, 5, 0.5), (13, 40, 0.6)])
def test_lrn_thread_independent(isa, threads, c, radius, beta):
    rng = np.random.default_rng(c)
    x = rng.standard_normal((4000, c)).astype(np.float32)
    dy = rng.standard_normal((4000, c)).astype(np.float32)
    out = []
    for t in (1, 2, 3):
        fastconv.set_num_threads(t)
        out.append((nn.lrn_fwd(x, radius, 1.0, 1e-2, beta), nn.lrn_bwd(x, dy, radius, 1.0, 1e-2, beta)))
    for other in out[1:]:
        for a, b in zip(out[0], other):
            np.testing.assert_array_equal(a, b)
