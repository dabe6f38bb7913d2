"""ReLU, bias add and softmax (fastconv.ops.nn) against the float64 reference, on every ISA."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastconv
from fastconv import reference
from fastconv.ops import nn
from assertions import assert_within

U = 2.0**-24
SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
shapes = st.lists(st.integers(1, 9), min_size=1, max_size=4).map(tuple) | st.sampled_from(
    [(1,), (15,), (16,), (17,), (33,), (63, 65), (2, 3, 5, 129), (300, 71), (1, 1, 1, 64)])


@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**31))
def test_relu_exact(isa, shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    x.flat[:: 3] = 0.0  # exactly 0 passes no gradient
    dy = rng.standard_normal(shape).astype(np.float32)
    np.testing.assert_array_equal(nn.relu_fwd(x), reference.relu_fwd(x))
    np.testing.assert_array_equal(nn.relu_bwd(x, dy), reference.relu_bwd(x, dy))
    np.testing.assert_array_equal(nn.relu(x), np.maximum(x, 0))


@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**31))
def test_bias_add(isa, shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    b = rng.standard_normal(shape[-1]).astype(np.float32)
    assert_within(nn.bias_add_fwd(x, b), reference.bias_add_fwd(x, b),
                  U * (np.abs(x) + np.abs(b)), "bias_add_fwd")
    m = x.size // x.shape[-1]
    bound = 2 * (m + 2) * U * reference.bias_add_bwd(np.abs(x)) + 1e-30
    assert_within(nn.bias_add_bwd(x), reference.bias_add_bwd(x), bound, "bias_add_bwd")


@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**31), scale=st.sampled_from([1.0, 30.0, 1e4]))
def test_softmax(isa, shape, seed, scale):
    rng = np.random.default_rng(seed)
    z = (rng.standard_normal(shape) * scale).astype(np.float32)
    p = nn.softmax_fwd(z)
    assert np.isfinite(p).all()
    k = shape[-1]
    assert_within(p, reference.softmax_fwd(z), 4 * (k + 4) * U * np.maximum(p, 1e-30) + 1e-30,
                  "softmax_fwd")
    dy = rng.standard_normal(shape).astype(np.float32)
    ref = reference.softmax_bwd(p, dy)
    bound = 4 * (k + 4) * U * (np.abs(p) * (np.abs(dy) + (np.abs(dy) * p).sum(-1, keepdims=True)))
    assert_within(nn.softmax_bwd(p, dy), ref, bound + 1e-30, "softmax_bwd")


@pytest.mark.parametrize("c", [10, 32, 67])
def test_bias_add_bwd_thread_independent(isa, threads, rng, c):
    dy = rng.standard_normal((100, 28, 28, c)).astype(np.float32)
    b = rng.standard_normal(c).astype(np.float32)
    out, fwd = [], []
    for t in (1, 2, 3):
        fastconv.set_num_threads(t)
        out.append(nn.bias_add_bwd(dy))
        fwd.append(nn.bias_add_fwd(dy, b))
    for t in (1, 2):
        np.testing.assert_array_equal(out[0], out[t])
        np.testing.assert_array_equal(fwd[0], fwd[t])
    assert_within(out[0], reference.bias_add_bwd(dy), 1e-3, "bias_add_bwd large")


def test_errors():
    with pytest.raises(ValueError, match=r"relu_bwd: x.shape=\(2, 3\) does not match dy.shape=\(3, 2\)"):
        nn.relu_bwd(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"bias_add_fwd: b.shape=\(4,\), expected \(3,\)"):
        nn.bias_add_fwd(np.zeros((2, 3)), np.zeros(4))
    with pytest.raises(ValueError, match="softmax_fwd: logits need at least one class"):
        nn.softmax_fwd(np.zeros((2, 0)))
    with pytest.raises(TypeError, match="relu_fwd: x must hold real numbers"):
        nn.relu_fwd(np.array(["x"]))


@pytest.mark.parametrize("n", [1, 7, 8, 16, 17, 64, 100])
def test_relu_propagates_nan_like_numpy(isa, n):
    x = np.linspace(-1, 1, n).astype(np.float32)
    x[n // 2] = np.nan
    y = nn.relu_fwd(x)
    np.testing.assert_array_equal(y, np.maximum(x, 0))  # NaN positions must match too
    assert np.isnan(y[n // 2])
