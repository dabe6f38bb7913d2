import math

import numpy as np
import pytest

from _fd import assert_grad_close, numeric_grad, numeric_vjp
from fastconv import reference as R


def _away_from_zero(rng, shape):
    x = rng.normal(size=shape)
    return np.where(np.abs(x) < 0.1, 0.5, x)


def test_relu_and_gradient_zero_at_nonpositive():
    x = np.array([-2.0, -0.0, 0.0, 1e-300, 3.0])
    np.testing.assert_array_equal(R.relu_fwd(x), [0, 0, 0, 1e-300, 3])
    np.testing.assert_array_equal(R.relu_bwd(x, np.full(5, 7.0)), [0, 0, 0, 7, 7])


def test_relu_bwd_finite_differences():
    rng = np.random.default_rng(0)
    x = _away_from_zero(rng, (2, 3, 4))
    dy = rng.normal(size=x.shape)
    assert_grad_close(R.relu_bwd(x, dy), numeric_vjp(R.relu_fwd, x, dy))


def test_bias_add_and_gradient():
    rng = np.random.default_rng(1)
    x, b = rng.normal(size=(2, 3, 3, 4)), rng.normal(size=4)
    np.testing.assert_allclose(R.bias_add_fwd(x, b), x + b)
    dy = rng.normal(size=x.shape)
    db = R.bias_add_bwd(dy)
    assert db.shape == (4,)
    assert_grad_close(db, numeric_vjp(lambda z: R.bias_add_fwd(x, z), b, dy))
    with pytest.raises(ValueError):
        R.bias_add_fwd(x, np.zeros(3))


def test_softmax_stable_and_gradient():
    p = R.softmax_fwd(np.array([[1e4, 0.0, -1e4], [1.0, 1.0, 1.0]]))
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p[0], [1, 0, 0])
    np.testing.assert_allclose(p[1], [1 / 3] * 3)
    rng = np.random.default_rng(2)
    z, dy = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    assert_grad_close(R.softmax_bwd(R.softmax_fwd(z), dy), numeric_vjp(R.softmax_fwd, z, dy))


def test_sigmoid_tanh_and_gradients():
    x = np.array([-800.0, -1.0, 0.0, 2.0, 800.0])
    s = R.sigmoid_fwd(x)
    assert np.all(np.isfinite(s))
    np.testing.assert_allclose(s, [0.0, 1 / (1 + math.e), 0.5, 1 / (1 + math.exp(-2)), 1.0])
    rng = np.random.default_rng(3)
    z, dy = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    assert_grad_close(R.sigmoid_bwd(R.sigmoid_fwd(z), dy), numeric_vjp(R.sigmoid_fwd, z, dy))
    assert_grad_close(R.tanh_bwd(R.tanh_fwd(z), dy), numeric_vjp(R.tanh_fwd, z, dy))


def test_xent_hand_value():
    # logits [0, ln 3]: softmax = [1/4, 3/4]; label 1 -> loss ln(4/3)
    z = np.array([[0.0, math.log(3.0)]])
    loss, d = R.softmax_xent_fwd(z, np.array([1]))
    assert loss == pytest.approx(math.log(4 / 3))
    np.testing.assert_allclose(d, [[0.25, -0.25]])


def test_xent_extreme_logits_finite():
    z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]])
    loss, d = R.softmax_xent_fwd(z, np.array([1, 0]))
    # row 0: log-sum-exp = 1e4, target logit -1e4 -> 2e4
    # row 1: log-sum-exp = 1e4 + ln 2, target logit -1e4 -> 2e4 + ln 2
    assert np.isfinite(loss) and np.all(np.isfinite(d))
    assert loss == pytest.approx((2e4 + 2e4 + math.log(2)) / 2)
    np.testing.assert_allclose(d, [[0.5, -0.5, 0.0], [-0.5, 0.25, 0.25]], atol=1e-12)
    loss_ok, _ = R.softmax_xent_fwd(z, np.array([0, 1]))
    assert loss_ok == pytest.approx(math.log(2) / 2)


@pytest.mark.parametrize("onehot", [False, True])
def test_xent_gradient_finite_differences(onehot):
    rng = np.random.default_rng(4)
    z = rng.normal(size=(4, 5))
    ids = np.array([0, 3, 4, 3])
    labels = np.eye(5)[ids] if onehot else ids
    loss, d = R.softmax_xent_fwd(z, labels)
    assert_grad_close(d, numeric_grad(lambda q: R.softmax_xent_fwd(q, labels)[0], z))
    if onehot:
        assert loss == pytest.approx(R.softmax_xent_fwd(z, ids)[0])


def test_xent_soft_labels_gradient():
    rng = np.random.default_rng(5)
    z = rng.normal(size=(3, 4))
    t = rng.dirichlet(np.ones(4), size=3)
    _, d = R.softmax_xent_fwd(z, t)
    assert_grad_close(d, numeric_grad(lambda q: R.softmax_xent_fwd(q, t)[0], z))
    np.testing.assert_allclose(R.softmax_xent_bwd(d, 2.0), 2 * d)


def test_xent_bad_labels():
    with pytest.raises(ValueError):
        R.softmax_xent_fwd(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(TypeError):
        R.softmax_xent_fwd(np.zeros((2, 3)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError):
        R.softmax_xent_fwd(np.zeros((2, 3)), np.zeros((2, 4)))
