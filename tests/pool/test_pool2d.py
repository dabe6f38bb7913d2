"""Native pooling (fastconv.ops.pool) against the float64 reference, on every ISA."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastconv
from fastconv import _core, reference
from fastconv._geometry import resolve_padding
from fastconv.ops import pool as P
from assertions import assert_within

U = 2.0**-24
SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
# Channel counts around the SIMD widths (8, 16) and the 64-channel slices of the overlap path.
CHANNELS = [1, 3, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 65]


@st.composite
def pool_case(draw):
    n = draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    c = draw(st.sampled_from(CHANNELS))
    ph, pw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    sh, sw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    padding = draw(st.sampled_from(["same", "valid", "SAME"]))
    if padding.lower() == "valid":
        ph, pw = min(ph, h), min(pw, w)
    pads = resolve_padding(padding, (h, w), (ph, pw), (sh, sw))
    seed = draw(st.integers(0, 2**31))
    ties = draw(st.booleans())
    return (n, h, w, c), (ph, pw), (sh, sw), pads, seed, ties


def _data(shape, seed, ties):
    rng = np.random.default_rng(seed)
    if ties:  # few distinct values: many ties, so the first-arg-max rule is exercised
        return rng.integers(-2, 3, size=shape).astype(np.float32)
    return rng.standard_normal(shape).astype(np.float32)


@SETTINGS
@given(case=pool_case())
def test_maxpool2d_matches_reference(isa, case):
    shape, pool, strides, pads, seed, ties = case
    x = _data(shape, seed, ties)
    y = P.maxpool2d_fwd(x, pool, strides, pads)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, reference.maxpool2d_fwd(x, pool, strides, pads))
    dy = np.random.default_rng(seed + 1).standard_normal(y.shape).astype(np.float32)
    dx = P.maxpool2d_bwd(x, dy, pool, strides, pads)
    expected = reference.maxpool2d_bwd(x, dy, pool, strides, pads)
    # Overlapping windows add up to ceil(p/s) per axis gradients into one cell, in float32.
    overlaps = -(-pool[0] // strides[0]) * -(-pool[1] // strides[1])
    bound = 2 * overlaps * U * reference.maxpool2d_bwd(x, np.abs(dy), pool, strides, pads)
    assert_within(dx, expected, bound, f"maxpool2d_bwd[{isa}] {shape} {pool} {strides} {pads}")


@SETTINGS
@given(case=pool_case())
def test_avgpool2d_matches_reference(isa, case):
    shape, pool, strides, pads, seed, ties = case
    x = _data(shape, seed, ties)
    y = P.avgpool2d_fwd(x, pool, strides, pads)
    k = pool[0] * pool[1]
    bound = 2 * (k + 2) * U * reference.avgpool2d_fwd(np.abs(x), pool, strides, pads) + 1e-30
    assert_within(y, reference.avgpool2d_fwd(x, pool, strides, pads), bound,
                  f"avgpool2d_fwd[{isa}] {shape} {pool} {strides} {pads}")
    dy = np.random.default_rng(seed + 1).standard_normal(y.shape).astype(np.float32)
    dx = P.avgpool2d_bwd(dy, x.shape, pool, strides, pads)
    overlaps = -(-pool[0] // strides[0]) * -(-pool[1] // strides[1])
    bound = 4 * (overlaps + 1) * U * reference.avgpool2d_bwd(np.abs(dy), x.shape, pool, strides,
                                                             pads) + 1e-30
    assert_within(dx, reference.avgpool2d_bwd(dy, x.shape, pool, strides, pads), bound,
                  f"avgpool2d_bwd[{isa}] {shape} {pool} {strides} {pads}")


@SETTINGS
@given(n=st.integers(1, 3), h=st.integers(1, 9), w=st.integers(1, 9),
       c=st.sampled_from(CHANNELS), seed=st.integers(0, 2**31), ties=st.booleans())
def test_global_pools_match_reference(isa, n, h, w, c, seed, ties):
    x = _data((n, h, w, c), seed, ties)
    np.testing.assert_array_equal(P.global_maxpool2d_fwd(x), reference.global_maxpool2d_fwd(x))
    assert_within(P.global_avgpool2d_fwd(x), reference.global_avgpool2d_fwd(x),
                  2 * (h * w + 2) * U * np.abs(x).mean(axis=(1, 2)) + 1e-30, "global_avg")
    dy = np.random.default_rng(seed).standard_normal((n, c)).astype(np.float32)
    np.testing.assert_array_equal(P.global_maxpool2d_bwd(x, dy), reference.global_maxpool2d_bwd(x, dy))
    assert_within(P.global_avgpool2d_bwd(dy, x.shape), reference.global_avgpool2d_bwd(dy, x.shape),
                  2 * U * np.abs(dy[:, None, None, :]) / (h * w), "global_avg_bwd")


def test_lab_pooling_outputs(isa):
    image = np.array([[4.0, 3.0], [2.0, 1.0]], np.float32).reshape(1, 2, 2, 1)
    valid = fastconv.ops.max_pool2d(image, pool_size=2, strides=1, padding="VALID")
    assert valid.shape == (1, 1, 1, 1) and valid[0, 0, 0, 0] == 4.0
    same = fastconv.ops.max_pool2d(image, pool_size=2, strides=1, padding="SAME")
    assert same.shape == (1, 2, 2, 1)
    np.testing.assert_array_equal(same[0, :, :, 0], [[4.0, 3.0], [2.0, 1.0]])
    conv_out = np.random.default_rng(0).standard_normal((1, 14, 14, 5)).astype(np.float32)
    pooled = fastconv.ops.max_pool2d(conv_out, 2, 2, "SAME")
    assert pooled.shape == (1, 7, 7, 5)
    np.testing.assert_array_equal(pooled, reference.max_pool2d(conv_out, 2, 2, "SAME"))


def test_user_pools_defaults_and_same_divisor(isa):
    x = np.arange(2 * 5 * 5 * 3, dtype=np.float32).reshape(2, 5, 5, 3)
    np.testing.assert_array_equal(fastconv.ops.max_pool2d(x), reference.max_pool2d(x))
    # pool window larger than the input with 'same': every cell averages the real cells only
    y = fastconv.ops.avg_pool2d(x, pool_size=7, strides=1, padding="same")
    assert_within(y, reference.avg_pool2d(x, 7, 1, "same"), 1e-4, "avg 7x7 same")
    y = fastconv.ops.max_pool2d(x, pool_size=(7, 9), strides=(2, 3), padding="same")
    np.testing.assert_array_equal(y, reference.max_pool2d(x, (7, 9), (2, 3), "same"))
    np.testing.assert_array_equal(fastconv.ops.global_max_pool2d(x), x.max(axis=(1, 2)))
    assert_within(fastconv.ops.global_avg_pool2d(x), x.mean(axis=(1, 2)), 1e-4, "gap")


def test_padding_never_wins(isa):
    x = -np.ones((1, 3, 3, 17), np.float32) * 5
    y = fastconv.ops.max_pool2d(x, 2, 2, "same")
    assert (y == -5).all()  # zero padding would have produced 0 in the edge windows
    dy = np.ones_like(y)
    dx = P.maxpool2d_bwd(x, dy, 2, 2, resolve_padding("same", (3, 3), 2, 2))
    assert dx.sum() == dy.sum()


def test_bitwise_identical_across_threads(threads, rng):
    x = rng.integers(-3, 4, size=(4, 17, 13, 70)).astype(np.float32)
    for pool, strides in (((2, 2), (2, 2)), ((3, 3), (1, 1)), ((2, 3), (3, 2))):
        pads = resolve_padding("same", (17, 13), pool, strides)
        out = []
        for t in (1, 2):
            fastconv.set_num_threads(t)
            y = P.maxpool2d_fwd(x, pool, strides, pads)
            dy = np.linspace(-1, 1, y.size, dtype=np.float32).reshape(y.shape)
            out.append((y, P.maxpool2d_bwd(x, dy, pool, strides, pads),
                        P.avgpool2d_fwd(x, pool, strides, pads),
                        P.avgpool2d_bwd(dy, x.shape, pool, strides, pads)))
        for a, b in zip(*out):
            np.testing.assert_array_equal(a, b)


def test_errors():
    x = np.zeros((1, 4, 4, 2), np.float32)
    with pytest.raises(ValueError, match=r"max_pool2d: x must have rank 4"):
        fastconv.ops.max_pool2d(np.zeros((4, 4, 2)))
    with pytest.raises(ValueError, match=r"max_pool2d: pool window 5x5 is larger than padded input 4x4"):
        fastconv.ops.max_pool2d(x, 5)
    with pytest.raises(ValueError, match="padding must be"):
        fastconv.ops.max_pool2d(x, 2, padding="full")
    with pytest.raises(TypeError, match="pool_size"):
        fastconv.ops.avg_pool2d(x, 2.5)
    with pytest.raises(ValueError, match="strides must be >= 1"):
        fastconv.ops.avg_pool2d(x, 2, 0)
    with pytest.raises(ValueError, match="only padding"):
        P.maxpool2d_fwd(x, 2, 2, ((2, 0), (0, 0)))
    with pytest.raises(ValueError, match=r"maxpool2d_bwd: dy.shape=\(1, 3, 3, 2\), expected \(1, 2, 2, 2\)"):
        P.maxpool2d_bwd(x, np.zeros((1, 3, 3, 2)), 2, 2, 0)
    with pytest.raises(ValueError, match="x_shape"):
        P.avgpool2d_bwd(np.zeros((1, 2, 2, 2)), (1, 4, 4), 2, 2, 0)
    with pytest.raises(TypeError, match="real numbers"):
        fastconv.ops.max_pool2d(np.array([["a"]]))
    # the raw binding re-checks: no out-of-bounds access from a direct call
    from fastconv import _core
    with pytest.raises(ValueError, match="maxpool2d_bwd: dy.shape"):
        _core.maxpool2d_bwd(x, np.zeros((1, 1, 1, 2), np.float32), 2, 2, 2, 2, 0, 0, 0, 0)
    with pytest.raises(TypeError):
        _core.maxpool2d_fwd(x.astype(np.float64), 2, 2, 2, 2, 0, 0, 0, 0)


@SETTINGS
@given(case=pool_case())
def test_maxpool2d_bwd_relu_mask_is_relu_bwd_of_pool_bwd(isa, case):
    """The fused ReLU mask equals relu_bwd(x, maxpool2d_bwd(x, dy)) on a ReLU output x (with
    many exact zeros, so all-zero windows and zero ties occur), for every geometry."""
    shape, pool, strides, pads, seed, ties = case
    x = np.maximum(_data(shape, seed, ties), np.float32(0))
    y = P.maxpool2d_fwd(x, pool, strides, pads)
    dy = np.random.default_rng(seed + 1).standard_normal(y.shape).astype(np.float32)
    dx = P.maxpool2d_bwd(x, dy, pool, strides, pads, relu_mask=True)
    expected = reference.relu_bwd(x, reference.maxpool2d_bwd(x, dy, pool, strides, pads))
    overlaps = -(-pool[0] // strides[0]) * -(-pool[1] // strides[1])
    bound = 2 * overlaps * U * reference.maxpool2d_bwd(x, np.abs(dy), pool, strides, pads)
    assert_within(dx, expected, bound, f"maxpool2d_bwd relu_mask[{isa}] {shape} {pool} {strides}")
    assert np.all(dx[x <= 0] == 0)


def test_maxpool2d_bwd_relu_mask_zero_and_negative_windows(isa):
    # Windows whose max is 0 or negative pass nothing, as relu_bwd would; positive ones pass dy
    # to their first arg-max. 17 channels: a full SIMD vector plus a tail on every ISA.
    win = np.array([[0, 0, 0, 0], [-1, -2, -3, -4], [0, 2, 2, 1]], np.float32)  # 3 windows
    x = np.empty((1, 2, 6, 17), np.float32)
    for k, cells in enumerate(win):
        x[0, :, 2 * k:2 * k + 2, :] = cells.reshape(2, 2, 1)
    dy = np.arange(1, 1 + 3 * 17, dtype=np.float32).reshape(1, 1, 3, 17)
    dx = P.maxpool2d_bwd(x, dy, 2, 2, ((0, 0), (0, 0)), relu_mask=True)
    expected = np.zeros_like(x)
    expected[0, 0, 5, :] = dy[0, 0, 2]  # window 3: cells (0,4)=0 (0,5)=2 (1,4)=2 (1,5)=1
    np.testing.assert_array_equal(dx, expected)
    np.testing.assert_array_equal(
        dx, reference.relu_bwd(x, reference.maxpool2d_bwd(x, dy, 2, 2, ((0, 0), (0, 0)))))


@pytest.mark.parametrize("window", [(2, 2), (3, 3), (2, 3), (1, 2)])
@pytest.mark.parametrize("c", [1, 7, 8, 16, 17, 32, 33])
def test_maxpool2d_nan_and_signed_zero_rule_on_every_isa(window, c):
    """Every ISA's kernel (and the 2x2 windows' unrolled instances) gives the same bits: a NaN
    anywhere in a window gives NaN, otherwise the first cell (row-major) holding the maximum, so
    +0 and -0 keep their sign order."""
    rng = np.random.default_rng(7)
    x = rng.choice(np.array([0.0, -0.0, 1.0, -1.0, np.nan], np.float32), size=(2, 6, 6, c),
                   p=[0.3, 0.3, 0.15, 0.15, 0.1])
    pads = resolve_padding("same", (6, 6), window, window)
    info = fastconv.cpu_info()
    isas = [i for i in info["supported_isas"] if i in info["compiled_isas"]]
    outs = {}
    before = _core.get_isa()
    try:
        for name in isas:
            _core.set_isa(name)
            outs[name] = P.maxpool2d_fwd(x, window, window, pads)
    finally:
        _core.set_isa(before)
    ref = reference.maxpool2d_fwd(x, window, window, pads)
    first = outs[isas[0]]
    np.testing.assert_array_equal(first, ref)  # NaN where the reference has NaN
    # The first cell holding the maximum, sign of zero included: compare with the rule itself.
    for (n, i, j, k), got in np.ndenumerate(first):
        cells = x[n, i * window[0]:(i + 1) * window[0], j * window[1]:(j + 1) * window[1], k]
        cells = cells.ravel()
        if np.isnan(cells).any():
            assert np.isnan(got)
        else:
            expected = cells[int(np.argmax(cells))]  # argmax: the first maximum
            assert np.signbit(got) == np.signbit(expected), (n, i, j, k, cells)
    for name, y in outs.items():  # x holds one NaN bit pattern, so NaNs compare bitwise too
        assert np.array_equal(y.view(np.uint32), first.view(np.uint32)), name
