import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from _fd import assert_grad_close, numeric_vjp
from fastconv import reference as R
from fastconv._geometry import resolve_padding

IMG = np.array([[4.0, 3.0], [2.0, 1.0]]).reshape(1, 2, 2, 1)


def test_lab_maxpool_valid_and_same():
    y = R.max_pool2d(IMG, pool_size=2, strides=1, padding="VALID")
    assert y.shape == (1, 1, 1, 1) and y[0, 0, 0, 0] == 4
    y = R.max_pool2d(IMG, pool_size=2, strides=1, padding="SAME")
    assert y.shape == (1, 2, 2, 1)
    np.testing.assert_array_equal(y[0, :, :, 0], [[4, 3], [2, 1]])


def test_lab_14x14_pool_same():
    x = np.random.default_rng(0).normal(size=(1, 14, 14, 5))
    assert R.max_pool2d(x, 2, 2, "same").shape == (1, 7, 7, 5)
    assert R.avg_pool2d(x, 2, 2, "same").shape == (1, 7, 7, 5)


def test_padding_never_wins_max():
    x = -np.arange(1.0, 10.0).reshape(1, 3, 3, 1)   # all negative, padding would be 0
    y = R.max_pool2d(x, 2, 2, "same")                 # pads ((0,1),(0,1))
    np.testing.assert_array_equal(y[0, :, :, 0], [[-1, -3], [-7, -9]])


def test_avg_divides_by_real_cells_only():
    x = np.arange(1.0, 10.0).reshape(1, 3, 3, 1)
    y = R.avg_pool2d(x, 2, 2, "same")
    np.testing.assert_allclose(y[0, :, :, 0], [[3.0, 4.5], [7.5, 9.0]])
    # 3x3 window stride 1 'same': corner averages 4 cells, edge 6, center 9
    y = R.avg_pool2d(x, 3, 1, "same")
    assert y[0, 0, 0, 0] == pytest.approx((1 + 2 + 4 + 5) / 4)
    assert y[0, 0, 1, 0] == pytest.approx((1 + 2 + 3 + 4 + 5 + 6) / 6)
    assert y[0, 1, 1, 0] == pytest.approx(5.0)


def test_strides_default_to_pool_size():
    x = np.arange(16.0).reshape(1, 4, 4, 1)
    np.testing.assert_array_equal(R.max_pool2d(x, 2)[0, :, :, 0], [[5, 7], [13, 15]])


def test_maxpool_bwd_ties_go_to_first_in_row_major_order():
    x = np.array([[1.0, 5.0], [5.0, 5.0]]).reshape(1, 2, 2, 1)
    dx = R.maxpool2d_bwd(x, np.ones((1, 1, 1, 1)), 2, 2, ((0, 0), (0, 0)))
    np.testing.assert_array_equal(dx[0, :, :, 0], [[0, 1], [0, 0]])


def test_maxpool_bwd_overlapping_windows_accumulate():
    x = np.array([[0.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 0.0]]).reshape(1, 3, 3, 1)
    dy = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 2, 2, 1)
    dx = R.maxpool2d_bwd(x, dy, 2, 1, ((0, 0), (0, 0)))
    assert dx[0, 1, 1, 0] == 10.0 and dx.sum() == 10.0


def test_all_padding_window_rejected():
    with pytest.raises(ValueError, match="only of padding"):
        R.maxpool2d_fwd(np.ones((1, 2, 2, 1)), 2, 2, ((2, 0), (0, 0)))


def _distinct(rng, shape):
    # a shuffled, well-separated grid keeps every max unique and away from kinks
    return rng.permutation(np.arange(np.prod(shape), dtype=np.float64)).reshape(shape) * 0.1


POOL_CASES = [
    ((1, 5, 5, 2), 2, 2, "valid"),
    ((1, 5, 5, 2), 2, 2, "same"),
    ((2, 5, 4, 1), 3, 1, "same"),
    ((1, 6, 7, 2), (3, 2), (2, 1), "same"),
    ((1, 7, 7, 1), 3, 2, "valid"),
    ((1, 4, 5, 1), 2, 1, ((1, 0), (0, 1))),
]


@pytest.mark.parametrize("xs, pool, strides, padding", POOL_CASES)
def test_maxpool_bwd_finite_differences(xs, pool, strides, padding):
    rng = np.random.default_rng(3)
    x = _distinct(rng, xs)
    pads = resolve_padding(padding, xs[1:3], pool, strides, 1, "max_pool2d")
    y = R.maxpool2d_fwd(x, pool, strides, pads)
    dy = rng.normal(size=y.shape)
    dx = R.maxpool2d_bwd(x, dy, pool, strides, pads)
    assert_grad_close(dx, numeric_vjp(lambda z: R.maxpool2d_fwd(z, pool, strides, pads), x, dy, eps=1e-4))


@pytest.mark.parametrize("xs, pool, strides, padding", POOL_CASES)
def test_avgpool_bwd_finite_differences(xs, pool, strides, padding):
    rng = np.random.default_rng(4)
    x = rng.normal(size=xs)
    pads = resolve_padding(padding, xs[1:3], pool, strides, 1, "avg_pool2d")
    y = R.avgpool2d_fwd(x, pool, strides, pads)
    dy = rng.normal(size=y.shape)
    dx = R.avgpool2d_bwd(dy, x.shape, pool, strides, pads)
    assert_grad_close(dx, numeric_vjp(lambda z: R.avgpool2d_fwd(z, pool, strides, pads), x, dy))


def test_global_pools_and_their_gradients():
    rng = np.random.default_rng(5)
    x = _distinct(rng, (2, 3, 4, 3))
    np.testing.assert_allclose(R.global_avgpool2d_fwd(x), x.mean(axis=(1, 2)))
    np.testing.assert_array_equal(R.global_maxpool2d_fwd(x), x.max(axis=(1, 2)))
    dy = rng.normal(size=(2, 3))
    assert_grad_close(R.global_avgpool2d_bwd(dy, x.shape),
                      numeric_vjp(R.global_avgpool2d_fwd, x, dy))
    assert_grad_close(R.global_maxpool2d_bwd(x, dy),
                      numeric_vjp(R.global_maxpool2d_fwd, x, dy, eps=1e-4))


def test_global_maxpool_bwd_first_max_wins():
    x = np.array([[1.0, 7.0], [7.0, 7.0]]).reshape(1, 2, 2, 1)
    dx = R.global_maxpool2d_bwd(x, np.array([[2.0]]))
    np.testing.assert_array_equal(dx[0, :, :, 0], [[0, 2], [0, 0]])


@settings(max_examples=40, deadline=None)
@given(h=st.integers(1, 8), w=st.integers(1, 8), p=st.integers(1, 3), s=st.integers(1, 3),
       seed=st.integers(0, 1000))
def test_same_pools_match_brute_force(h, w, p, s, seed):
    x = np.random.default_rng(seed).normal(size=(1, h, w, 2))
    (pt, _), (pl, _) = resolve_padding("same", (h, w), p, s, 1, "max_pool2d")
    ymax, yavg = R.max_pool2d(x, p, s, "same"), R.avg_pool2d(x, p, s, "same")
    for r in range(ymax.shape[1]):
        for q in range(ymax.shape[2]):
            cells = [x[0, i, j] for i in range(r * s - pt, r * s - pt + p)
                     for j in range(q * s - pl, q * s - pl + p) if 0 <= i < h and 0 <= j < w]
            np.testing.assert_allclose(ymax[0, r, q], np.max(cells, axis=0))
            np.testing.assert_allclose(yavg[0, r, q], np.mean(cells, axis=0))
