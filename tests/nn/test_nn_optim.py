"""In-place SGD / Adam updates: equal to the float64 reference over several steps (within
float32 rounding) and bit-identical for 1 and 2 threads, on every ISA."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastconv
from fastconv import reference
from fastconv.ops import nn
from assertions import assert_within

SETTINGS = settings(max_examples=20, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
sizes = st.sampled_from([(1,), (7,), (8,), (15,), (16,), (17,), (33,), (3, 5, 7), (64, 65)])


@SETTINGS
@given(shape=sizes, momentum=st.sampled_from([0.0, 0.9]), nesterov=st.booleans(),
       seed=st.integers(0, 2**31))
def test_sgd_steps_match_reference(isa, shape, momentum, nesterov, seed):
    rng = np.random.default_rng(seed)
    p = rng.standard_normal(shape).astype(np.float32)
    v = np.zeros(shape, np.float32)
    rp, rv = p.astype(np.float64), v.astype(np.float64)
    for _ in range(4):
        g = rng.standard_normal(shape).astype(np.float32)
        out = fastconv.ops.sgd_update_(p, g, v, lr=0.1, momentum=momentum, nesterov=nesterov)
        assert out is p
        rp, rv = reference.sgd_update(rp, g, rv, 0.1, momentum, nesterov)
    assert_within(p, rp, 1e-5 * (1 + np.abs(rp)), "sgd param")
    assert_within(v, rv, 1e-5 * (1 + np.abs(rv)), "sgd velocity")


@SETTINGS
@given(shape=sizes, seed=st.integers(0, 2**31))
def test_adam_steps_match_reference(isa, shape, seed):
    rng = np.random.default_rng(seed)
    p = rng.standard_normal(shape).astype(np.float32)
    m, v = np.zeros(shape, np.float32), np.zeros(shape, np.float32)
    rp, rm, rv = p.astype(np.float64), m.astype(np.float64), v.astype(np.float64)
    for step in range(1, 6):
        g = rng.standard_normal(shape).astype(np.float32)
        fastconv.ops.adam_update_(p, g, m, v, lr=0.01, step=step)
        rp, rm, rv = reference.adam_update(rp, g, rm, rv, 0.01, step=step)
    assert_within(m, rm, 1e-5 * (1 + np.abs(rm)), "adam m")
    assert_within(v, rv, 1e-5 * (1e-3 + np.abs(rv)), "adam v")
    assert_within(p, rp, 1e-5 * (1 + np.abs(rp)), "adam param")


def test_reference_style_wrappers(isa, rng):
    p, g = rng.standard_normal(10).astype(np.float32), rng.standard_normal(10).astype(np.float32)
    p0 = p.copy()
    new_p, new_v = nn.sgd_update(p, g, None, 0.1)
    np.testing.assert_array_equal(p, p0)  # arguments untouched
    assert_within(new_p, reference.sgd_update(p, g, None, 0.1)[0], 1e-6, "sgd_update")
    assert (new_v == 0).all()
    new_p, m, v = nn.adam_update(p, g, np.zeros(10), np.zeros(10), 0.001, step=3)
    ref = reference.adam_update(p, g, np.zeros(10), np.zeros(10), 0.001, step=3)
    for a, b in zip((new_p, m, v), ref):
        assert_within(a, b, 1e-6 * (1 + np.abs(b)), "adam_update")


@pytest.mark.parametrize("kind", ["sgd", "nesterov", "adam"])
def test_bit_identical_across_threads(isa, threads, kind):
    n = 300_007  # large enough for two threads, odd so the ranges end mid-vector
    rng = np.random.default_rng(7)
    p0 = rng.standard_normal(n).astype(np.float32)
    grads = [rng.standard_normal(n).astype(np.float32) for _ in range(3)]
    results = []
    for t in (1, 2, 3):
        fastconv.set_num_threads(t)
        p, a, b = p0.copy(), np.zeros(n, np.float32), np.zeros(n, np.float32)
        for step, g in enumerate(grads, 1):
            if kind == "adam":
                fastconv.ops.adam_update_(p, g, a, b, lr=0.01, step=step)
            else:
                fastconv.ops.sgd_update_(p, g, a, lr=0.1, momentum=0.9,
                                         nesterov=kind == "nesterov")
        results.append((p, a, b))
    for other in results[1:]:
        for x, y in zip(results[0], other):
            np.testing.assert_array_equal(x, y)


def test_errors():
    p = np.zeros(4, np.float32)
    with pytest.raises(TypeError, match="sgd_update_: param must be float32"):
        fastconv.ops.sgd_update_(np.zeros(4), np.zeros(4))
    with pytest.raises(TypeError, match="param must be a float32 numpy array"):
        fastconv.ops.sgd_update_([0.0], [0.0])
    with pytest.raises(ValueError, match="C-contiguous"):
        fastconv.ops.sgd_update_(np.zeros(8, np.float32)[::2], np.zeros(4))
    ro = np.zeros(4, np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="param is read-only"):
        fastconv.ops.sgd_update_(ro, np.zeros(4))
    with pytest.raises(ValueError, match=r"grad.shape=\(5,\) does not match param.shape=\(4,\)"):
        fastconv.ops.sgd_update_(p, np.zeros(5))
    with pytest.raises(ValueError, match="needs a velocity"):
        fastconv.ops.sgd_update_(p, np.zeros(4), momentum=0.9)
    with pytest.raises(ValueError, match=r"m.shape=\(3,\) does not match param.shape=\(4,\)"):
        fastconv.ops.adam_update_(p, np.zeros(4), np.zeros(3, np.float32), np.zeros(4, np.float32))
    with pytest.raises(TypeError, match="v must be float32"):
        fastconv.ops.adam_update_(p, np.zeros(4), np.zeros(4, np.float32), np.zeros(4))
    with pytest.raises(ValueError, match="step must be >= 1"):
        fastconv.ops.adam_update_(p, np.zeros(4), np.zeros(4, np.float32), np.zeros(4, np.float32),
                                  step=0)
