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
@given(n=st.integers(1, 40), k=st.sampled_from([1, 2, 3, 7, 10, 16, 17, 100]),
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


def test_loss_thread_independent(threads, rng):
    z = (rng.standard_normal((5000, 10)) * 5).astype(np.float32)
    ids = rng.integers(0, 10, 5000)
    out = []
    for t in (1, 2):
        fastconv.set_num_threads(t)
        out.append(nn.softmax_xent_fwd(z, ids))
    assert out[0][0] == out[1][0]
    np.testing.assert_array_equal(out[0][1], out[1][1])


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
