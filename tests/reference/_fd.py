"""Central finite differences, shared by every test suite that checks a backward pass.

Use float64 inputs: with eps=1e-6 the truncation error is O(eps^2) and the
rounding error O(1e-16 / eps) ~ 1e-10, so agreement to ~1e-6 is expected for
smooth functions.
"""

import numpy as np


def numeric_grad(f, x, eps=1e-6):
    """d f(x) / d x for a scalar-valued f, by central differences.

    x is not modified; f receives float64 arrays of x's shape.
    """
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    flat_x, flat_g = x.reshape(-1), g.reshape(-1)
    for i in range(flat_x.size):
        orig = flat_x[i]
        flat_x[i] = orig + eps
        fp = float(f(x.copy()))
        flat_x[i] = orig - eps
        fm = float(f(x.copy()))
        flat_x[i] = orig
        flat_g[i] = (fp - fm) / (2.0 * eps)
    return g


def numeric_vjp(f, x, dy, eps=1e-6):
    """Vector-Jacobian product dy^T J_f(x) for an array-valued f: the value a
    backward pass given upstream gradient dy must return."""
    dy = np.asarray(dy, dtype=np.float64)
    return numeric_grad(lambda z: np.sum(np.asarray(f(z), dtype=np.float64) * dy), x, eps)


def assert_grad_close(analytic, numeric, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=atol)
