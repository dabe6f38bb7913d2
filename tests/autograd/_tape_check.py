"""Helper for the tape tests: an op's gradients through the tape vs central finite differences of
the float64 reference, for every differentiable input, with a random upstream gradient."""

from __future__ import annotations

import os
import sys

import numpy as np

import fastconv as fc

# tests/reference holds the shared finite-difference helpers; make them importable when this
# directory runs on its own (no conftest.py here: its module name would shadow tests/conftest.py).
_REF = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "reference")
if _REF not in sys.path:
    sys.path.append(_REF)

from _fd import numeric_vjp  # noqa: E402
from assertions import assert_within  # noqa: E402


def f32_exact(a):
    """float64 copy of a holding float32-representable values (so both sides see the same x)."""
    return np.asarray(a, np.float32).astype(np.float64)


def check_op(op, ref, inputs, rng, what, rtol=2e-3, atol=2e-4, eps=1e-6):
    """op(*Variables) -> Tensor; ref(*float64 arrays) -> float64 array.

    Checks the forward against ref and d<y, dy>/d input_k against numeric_vjp for every k.
    """
    inputs = [f32_exact(x) for x in inputs]
    variables = [fc.Variable(x, name=f"in{k}") for k, x in enumerate(inputs)]
    with fc.GradientTape() as tape:
        y = op(*variables)
    expected = np.asarray(ref(*inputs), np.float64)
    scale = 1.0 + np.abs(expected)
    assert_within(y, expected, rtol * scale, f"{what} forward")
    dy = f32_exact(rng.standard_normal(np.shape(expected)))
    grads = tape.gradient(y, variables, output_gradients=dy)
    for k, (x, g) in enumerate(zip(inputs, grads)):
        def f(z, k=k):
            args = list(inputs)
            args[k] = z
            return ref(*args)
        numeric = numeric_vjp(f, x, dy, eps)
        assert g is not None, f"{what}: gradient of input {k} is None"
        assert g.dtype == np.float32
        assert_within(g, numeric, atol + rtol * np.abs(numeric).max(initial=0.0),
                      f"{what} d/d input {k}")
    return y, grads
