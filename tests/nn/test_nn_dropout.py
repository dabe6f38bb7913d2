"""Dropout: the native mask equals the reference's counter-based generator bit for bit, for any
thread count and on every ISA; inverted scaling; identity when not training."""

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
@given(shape=st.lists(st.integers(1, 9), min_size=1, max_size=4).map(tuple),
       rate=st.sampled_from([0.0, 1e-7, 0.1, 0.25, 0.5, 0.9, 0.999999, 2.0**-24, 0.5 + 2.0**-25]),
       seed=st.sampled_from([0, 1, 12345, 2**63, 2**64 - 1]) | st.integers(0, 2**64 - 1))
def test_dropout_matches_reference(isa, shape, rate, seed):
    x = np.random.default_rng(seed % 2**32).standard_normal(shape).astype(np.float32)
    y, mask = nn.dropout_fwd(x, rate, seed, True)
    ref_y, ref_mask = reference.dropout_fwd(x, rate, seed, True)
    assert mask.dtype == bool and y.dtype == np.float32
    np.testing.assert_array_equal(mask, ref_mask)
    assert_within(y, ref_y, 2**-23 * np.abs(ref_y), "dropout y")
    dy = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    assert_within(nn.dropout_bwd(dy, mask, rate), reference.dropout_bwd(dy, ref_mask, rate),
                  2**-23 * np.abs(dy) / (1 - rate), "dropout dx")


def test_identity_when_not_training(isa, rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    y, mask = nn.dropout_fwd(x, 0.5, 7, False)
    np.testing.assert_array_equal(y, x)
    assert mask.all() and y is not x
    np.testing.assert_array_equal(fastconv.ops.dropout(x, 0.0, 7, True), x)
    np.testing.assert_array_equal(fastconv.ops.dropout(x, 0.3, 7, True),
                                  nn.dropout_fwd(x, 0.3, 7, True)[0])


@pytest.mark.parametrize("n", [1, 7, 8, 9, 15, 16, 17, 24, 31, 33, 100, 1031])
@pytest.mark.parametrize("seed", [0, 2**64 - 1, 0x9E3779B97F4A7C15])
def test_vector_tails_match_reference(isa, n, seed):
    # every lane position of the 8/16-wide SIMD kernels, and seeds that wrap modulo 2^64
    x = np.arange(1, n + 1, dtype=np.float32)
    y, mask = nn.dropout_fwd(x, 0.3, seed, True)
    ref_y, ref_mask = reference.dropout_fwd(x, 0.3, seed, True)
    np.testing.assert_array_equal(mask, ref_mask)
    np.testing.assert_array_equal(y, (x * np.float32(1 / 0.7)) * mask)
    dy = -x
    np.testing.assert_array_equal(nn.dropout_bwd(dy, mask, 0.3), (dy * np.float32(1 / 0.7)) * mask)


def test_mask_identical_for_1_2_3_threads(isa, threads):
    x = np.ones((100, 14, 14, 64), np.float32)[..., :63]  # ~1.2M elements, odd size: all busy
    x = np.ascontiguousarray(x)
    out = []
    for t in (1, 2, 3):
        fastconv.set_num_threads(t)
        y, mask = nn.dropout_fwd(x, 0.4, 2024, True)
        out.append((y, mask, nn.dropout_bwd(y, mask, 0.4)))
    for other in out[1:]:
        for a, b in zip(out[0], other):
            np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(out[0][1], reference.dropout_mask(x.shape, 0.4, 2024))
    assert abs(out[0][1].mean() - 0.6) < 0.01


def test_errors():
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match=r"dropout_fwd: rate must be in \[0, 1\), got 1.0"):
        nn.dropout_fwd(x, 1.0, 0, True)
    with pytest.raises(ValueError, match="seed must fit in uint64"):
        nn.dropout_fwd(x, 0.5, -1, True)
    with pytest.raises(TypeError, match="seed must be an integer"):
        nn.dropout_fwd(x, 0.5, 1.5, True)
    with pytest.raises(TypeError, match="training must be a bool"):
        nn.dropout_fwd(x, 0.5, 1, "yes")
    with pytest.raises(ValueError, match=r"dy.shape=\(2, 3\) does not match mask.shape=\(3,\)"):
        nn.dropout_bwd(x, np.ones(3, bool), 0.5)
