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


def test_mask_identical_for_1_and_2_threads(isa, threads):
    x = np.ones((100, 14, 14, 64), np.float32)  # 1.25M elements: both threads busy
    out = []
    for t in (1, 2):
        fastconv.set_num_threads(t)
        out.append(nn.dropout_fwd(x, 0.4, 2024, True))
    np.testing.assert_array_equal(out[0][0], out[1][0])
    np.testing.assert_array_equal(out[0][1], out[1][1])
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
