import numpy as np
import pytest

from _fd import assert_grad_close, numeric_vjp
from fastconv import reference as R


def test_batch_norm_training_normalizes_and_updates_moving_stats():
    rng = np.random.default_rng(0)
    x = rng.normal(loc=3.0, scale=2.0, size=(4, 5, 5, 3))
    c = 3
    mm, mv = np.full(c, 0.5), np.full(c, 2.0)
    y, nmm, nmv, mean, invstd = R.batch_norm_fwd(x, np.ones(c), np.zeros(c), mm, mv, training=True)
    flat = y.reshape(-1, c)
    np.testing.assert_allclose(flat.mean(axis=0), 0, atol=1e-12)
    # epsilon=1e-3 keeps the variance slightly below 1
    bvar = x.reshape(-1, c).var(axis=0)
    np.testing.assert_allclose(flat.var(axis=0), bvar / (bvar + 1e-3))
    np.testing.assert_allclose(flat.var(axis=0), 1, atol=1e-3)
    bmean = x.reshape(-1, c).mean(axis=0)
    np.testing.assert_allclose(nmm, 0.99 * 0.5 + 0.01 * bmean)
    np.testing.assert_allclose(nmv, 0.99 * 2.0 + 0.01 * bvar)   # biased variance
    np.testing.assert_allclose(mean, bmean)
    np.testing.assert_allclose(invstd, 1 / np.sqrt(bvar + 1e-3))
    # inputs are left alone
    assert mm[0] == 0.5 and mv[0] == 2.0


def test_batch_norm_inference_uses_moving_stats():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 3, 3, 2))
    g, b = np.array([2.0, -1.0]), np.array([0.5, 0.0])
    mm, mv = np.array([0.1, -0.2]), np.array([1.5, 0.25])
    y, nmm, nmv, _, _ = R.batch_norm_fwd(x, g, b, mm, mv, training=False, epsilon=1e-5)
    np.testing.assert_allclose(y, g * (x - mm) / np.sqrt(mv + 1e-5) + b)
    np.testing.assert_array_equal(nmm, mm)
    np.testing.assert_array_equal(nmv, mv)


@pytest.mark.parametrize("shape", [(3, 2, 2, 3), (6, 4)])
def test_batch_norm_bwd_finite_differences(shape):
    rng = np.random.default_rng(2)
    c = shape[-1]
    x = rng.normal(size=shape)
    g, b = rng.normal(size=c), rng.normal(size=c)
    mm, mv = np.zeros(c), np.ones(c)
    y, _, _, mean, invstd = R.batch_norm_fwd(x, g, b, mm, mv, training=True)
    dy = rng.normal(size=shape)
    dx, dg, db = R.batch_norm_bwd(dy, x, g, mean, invstd)

    def f(xx=x, gg=g, bb=b):
        return R.batch_norm_fwd(xx, gg, bb, mm, mv, training=True)[0]

    assert_grad_close(dx, numeric_vjp(lambda z: f(xx=z), x, dy))
    assert_grad_close(dg, numeric_vjp(lambda z: f(gg=z), g, dy))
    assert_grad_close(db, numeric_vjp(lambda z: f(bb=z), b, dy))


def test_lrn_hand_value():
    # one pixel, 3 channels, r=1: sqr_sum = [1+4, 1+4+9, 4+9]
    x = np.array([1.0, 2.0, 3.0]).reshape(1, 1, 1, 3)
    y = R.lrn_fwd(x, depth_radius=1, bias=2.0, alpha=0.5, beta=0.75)
    expect = np.array([1 / (2 + 2.5) ** 0.75, 2 / (2 + 7) ** 0.75, 3 / (2 + 6.5) ** 0.75])
    np.testing.assert_allclose(y.reshape(-1), expect)
    # TF defaults: r=5, bias=1, alpha=1, beta=0.5 -> every channel sees all 3
    y = R.lrn_fwd(x)
    np.testing.assert_allclose(y.reshape(-1), x.reshape(-1) / np.sqrt(15.0))


@pytest.mark.parametrize("r, bias, alpha, beta", [(1, 1.0, 1.0, 0.5), (2, 2.0, 1e-1, 0.75), (0, 1.5, 0.3, 1.0), (5, 1.0, 1.0, 0.5)])
def test_lrn_bwd_finite_differences(r, bias, alpha, beta):
    rng = np.random.default_rng(3)
    x, dy = rng.normal(size=(2, 2, 2, 7)), rng.normal(size=(2, 2, 2, 7))
    dx = R.lrn_bwd(x, dy, r, bias, alpha, beta)
    assert_grad_close(dx, numeric_vjp(lambda z: R.lrn_fwd(z, r, bias, alpha, beta), x, dy))
