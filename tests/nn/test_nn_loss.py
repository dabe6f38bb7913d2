"""Fused softmax cross-entropy against the float64 reference, on every ISA."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastconv
from fastconv import reference
from fastconv.ops import nn
from assertions import assert_within

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(n=st.integers(1, 40), k=st.sampled_from([1, 2, 3, 7, 8, 9, 10, 15, 16, 17, 100, 1000, 4099]),
       scale=st.sampled_from([1.0, 10.0, 1e4]), onehot=st.booleans(), seed=st.integers(0, 2**31))
def test_softmax_xent_matches_reference(isa, n, k, scale, onehot, seed):
    rng = np.random.default_rng(seed)
    z = (rng.standard_normal((n, k)) * scale).astype(np.float32)
    if scale == 1e4:
        z[0, 0], z[-1, -1] = 1e4, -1e4  # the extremes must stay finite
    ids = rng.integers(0, k, n)
    labels = np.eye(k, dtype=np.float32)[ids] if onehot else ids
    loss, dz = nn.softmax_xent_fwd(z, labels)
    ref_loss, ref_dz = reference.softmax_xent_fwd(z, labels)
    assert isinstance(loss, float) and np.isfinite(loss) and np.isfinite(dz).all()
    # log p is computed from float32 logits: relative error ~ k u |z| per row
    assert abs(loss - ref_loss) <= 1e-6 * (abs(ref_loss) + 1) + 8 * 2**-24 * np.abs(z).max()
    assert_within(dz, ref_dz, 2 * 2**-24 * (np.abs(ref_dz) + 1.0 / n) * 4, "dlogits")
    assert nn.softmax_cross_entropy(labels, z) == loss
    np.testing.assert_allclose(nn.softmax_xent_bwd(dz, 0.5), ref_dz * 0.5, rtol=1e-6, atol=1e-9)


def test_soft_targets_and_zero_probability_classes(isa):
    z = np.array([[1e4, -1e4, 0.0], [0.0, 1.0, 2.0]], np.float32)
    t = np.array([[0.5, 0.0, 0.5], [0.2, 0.3, 0.5]], np.float32)
    loss, dz = nn.softmax_xent_fwd(z, t)
    ref_loss, ref_dz = reference.softmax_xent_fwd(z, t)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-6)
    np.testing.assert_allclose(dz, ref_dz, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("k", [10, 37])
def test_loss_thread_independent(isa, threads, rng, k):
    z = (rng.standard_normal((5000, k)) * 5).astype(np.float32)
    ids = rng.integers(0, k, 5000)
    out = []
    for t in (1, 2, 3):
        fastconv.set_num_threads(t)
        p = nn.softmax_fwd(z)
        out.append(nn.softmax_xent_fwd(z, ids) + (p, nn.softmax_bwd(p, z)))
    for other in out[1:]:
        assert out[0][0] == other[0]
        for i in (1, 2, 3):
            np.testing.assert_array_equal(out[0][i], other[i])


# Inputs of exp after the max is subtracted: the whole float range where exp is not 0 in float32
# (down to the subnormals near -103.97), below it, and the extremes.
_EXP_ARGS = np.concatenate([
    -np.geomspace(1e-30, 110.0, 20000), np.linspace(-104.0, 0.0, 20001), -np.arange(0.0, 104.0, 0.37),
    [0.0, -0.0, -1e-7, -87.33, -87.34, -88.0, -100.0, -103.9, -103.98, -104.0, -150.0, -1e4, -3e38,
     -np.inf]]).astype(np.float32)


def test_vectorised_exp_accuracy_over_the_float_range(isa):
    # Rows [x, 0]: the max is 0, so the kernels evaluate exp(x) and exp(0). The SIMD exp's bound
    # is |exp(x) - e^x| <= 1.5 * 2^-24 * e^x + 2^-149 (nn/ukernels/exp_*.h); softmax adds the sum
    # (1 rounding), 1/sum and the product (1 each) and the float32 output (0.5): 4.5 * 2^-24
    # relative, plus 2 * 2^-149 absolute for results in the subnormal range.
    x = _EXP_ARGS
    z = np.stack([x, np.zeros_like(x)], axis=1)
    ref = reference.softmax_fwd(z)
    p = nn.softmax_fwd(z)
    assert_within(p, ref, 4.5 * 2**-24 * ref + 2 * 2**-149, f"softmax of [x, 0] [{isa}]")
    # the same through the fused loss, whose sum and log run in double: loss = -log p[label]
    for label in (0, 1):
        ids = np.full(len(x), label)
        per_row = []
        for i in range(0, len(x), 997):  # the mean hides nothing: check some rows one by one
            loss, dz = nn.softmax_xent_fwd(z[i:i + 1], ids[i:i + 1])
            rl, rdz = reference.softmax_xent_fwd(z[i:i + 1], ids[i:i + 1])
            per_row.append((loss, rl))
            p_row = rdz + np.eye(2)[label]  # dz = p - t: p's error, plus the subtraction's
            assert_within(dz, rdz, 4.5 * 2**-24 * p_row + 0.5 * 2**-24 * np.abs(rdz)
                          + 2 * 2**-149, f"dz row {i}")
        got, want = np.array(per_row).T
        # lse = log(1 + e^x) in double: absolute error <= 1.5 * 2^-24 * e^x / (1 + e^x)
        assert_within(got, want, 2 * 2**-24 * (1 + np.abs(want)), f"xent loss label {label}")


@pytest.mark.parametrize("k", [1, 3, 10, 17])
def test_extreme_logits_stay_finite(isa, k):
    z = np.zeros((4, k), np.float32)
    z[0, 0], z[1, -1], z[2, :], z[3, 0] = 1e4, -1e4, -1e4, -3e38
    ids = np.arange(4) % k
    loss, dz = nn.softmax_xent_fwd(z, ids)
    ref_loss, ref_dz = reference.softmax_xent_fwd(z, ids)
    assert np.isfinite(loss) and np.isfinite(dz).all()
    assert abs(loss - ref_loss) <= 1e-6 * (abs(ref_loss) + 1)
    assert_within(dz, ref_dz, 8 * 2**-24 * (np.abs(ref_dz) + 0.25), "dz")
    p = nn.softmax_fwd(z)
    assert_within(p, reference.softmax_fwd(z), 4 * (k + 4) * 2**-24 * p + 1e-30, "softmax")


def test_empty_batch_is_nan_like_the_reference(isa):
    for labels in (np.zeros(0, np.int64), np.zeros((0, 5), np.float32)):
        z = np.zeros((0, 5), np.float32)
        loss, dz = nn.softmax_xent_fwd(z, labels)
        with np.errstate(invalid="ignore"):  # the reference divides 0 by 0 too
            ref_loss, ref_dz = reference.softmax_xent_fwd(z, labels)
        assert np.isnan(loss) and np.isnan(ref_loss)
        assert dz.shape == ref_dz.shape == (0, 5)
        assert np.isnan(float(fastconv.ops.softmax_cross_entropy(labels, z)))


def test_errors():
    z = np.zeros((3, 4), np.float32)
    with pytest.raises(ValueError, match=r"class ids must be in \[0, 4\), got range \[0, 4\]"):
        nn.softmax_xent_fwd(z, np.array([0, 1, 4]))
    with pytest.raises(TypeError, match="1-D labels must be integer"):
        nn.softmax_xent_fwd(z, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"labels.shape=\(3, 5\)"):
        nn.softmax_xent_fwd(z, np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"labels.shape=\(2,\) but logits.shape=\(3, 4\)"):
        nn.softmax_xent_fwd(z, np.array([0, 1]))
    with pytest.raises(ValueError, match="logits must be"):
        nn.softmax_xent_fwd(np.zeros(4), np.array([0]))
    from fastconv import _core
    with pytest.raises(ValueError, match="outside"):
        _core.softmax_xent_fwd(z, labels=np.array([0, 9, 1], np.int64))
