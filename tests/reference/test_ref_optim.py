import math

import numpy as np
import pytest

from fastconv import reference as R


def test_sgd_plain():
    p, g = np.array([1.0, -2.0]), np.array([0.5, 0.25])
    p1, v1 = R.sgd_update(p, g, None, lr=0.1)
    np.testing.assert_allclose(p1, [0.95, -2.025])
    np.testing.assert_array_equal(v1, 0)
    np.testing.assert_array_equal(p, [1.0, -2.0])  # not modified


def test_sgd_momentum_two_steps():
    p, v = np.array([1.0]), np.zeros(1)
    g1, g2, lr, mu = 0.5, -1.0, 0.1, 0.9
    p, v = R.sgd_update(p, np.array([g1]), v, lr, momentum=mu)
    assert v[0] == pytest.approx(-0.05) and p[0] == pytest.approx(0.95)
    p, v = R.sgd_update(p, np.array([g2]), v, lr, momentum=mu)
    # v2 = 0.9 * -0.05 + 0.1 = 0.055
    assert v[0] == pytest.approx(0.055) and p[0] == pytest.approx(1.005)


def test_sgd_nesterov_two_steps():
    p, v = np.array([1.0]), np.zeros(1)
    lr, mu = 0.1, 0.9
    p, v = R.sgd_update(p, np.array([0.5]), v, lr, momentum=mu, nesterov=True)
    # v1 = -0.05; p1 = 1 + 0.9 * -0.05 - 0.05 = 0.905
    assert v[0] == pytest.approx(-0.05) and p[0] == pytest.approx(0.905)
    p, v = R.sgd_update(p, np.array([-1.0]), v, lr, momentum=mu, nesterov=True)
    # v2 = 0.055; p2 = 0.905 + 0.9 * 0.055 + 0.1 = 1.0545
    assert v[0] == pytest.approx(0.055) and p[0] == pytest.approx(1.0545)


def test_adam_two_steps():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-7
    p, m, v = np.array([1.0, 2.0]), np.zeros(2), np.zeros(2)
    g1, g2 = np.array([0.1, -0.3]), np.array([0.2, 0.4])
    p1, m1, v1 = R.adam_update(p, g1, m, v, lr, step=1)
    np.testing.assert_allclose(m1, 0.1 * g1)
    np.testing.assert_allclose(v1, 0.001 * g1 ** 2)
    lr1 = lr * math.sqrt(1 - b2) / (1 - b1)
    np.testing.assert_allclose(p1, p - lr1 * m1 / (np.sqrt(v1) + eps))
    # first Adam step moves each weight by ~lr * sign(g)
    np.testing.assert_allclose(p1, p - lr * np.sign(g1), rtol=1e-5)
    p2, m2, v2 = R.adam_update(p1, g2, m1, v1, lr, step=2)
    np.testing.assert_allclose(m2, 0.9 * 0.1 * g1 + 0.1 * g2)
    np.testing.assert_allclose(v2, 0.999 * 0.001 * g1 ** 2 + 0.001 * g2 ** 2)
    lr2 = lr * math.sqrt(1 - b2 ** 2) / (1 - b1 ** 2)
    np.testing.assert_allclose(p2, p1 - lr2 * m2 / (np.sqrt(v2) + eps))


def test_adam_custom_hyperparameters_and_bad_step():
    p, g = np.array([0.0]), np.array([2.0])
    p1, m1, v1 = R.adam_update(p, g, np.zeros(1), np.zeros(1), 0.5, beta_1=0.5, beta_2=0.75, epsilon=0.1)
    # m=1, v=1, lr_t = 0.5*sqrt(0.25)/0.5 = 0.5 -> p = -0.5 * 1 / 1.1
    assert m1[0] == 1.0 and v1[0] == 1.0
    assert p1[0] == pytest.approx(-0.5 / 1.1)
    with pytest.raises(ValueError):
        R.adam_update(p, g, p, p, 0.1, step=0)
