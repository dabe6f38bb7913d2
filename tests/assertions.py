"""Comparison helpers that explain a failure: the worst element, both values, the bound."""

from __future__ import annotations

import numpy as np


def assert_within(actual, expected, bound, what: str = "result") -> None:
    """Assert |actual - expected| <= bound elementwise (bound broadcasts)."""
    actual = np.asarray(actual, np.float64)
    expected = np.asarray(expected, np.float64)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    if actual.size == 0:
        return
    bound = np.broadcast_to(np.asarray(bound, np.float64), expected.shape)
    err = np.abs(actual - expected)
    bad = ~(err <= bound)  # NaN counts as bad
    if bad.any():
        excess = np.where(bad, np.nan_to_num(err - bound, nan=np.inf), -np.inf)
        idx = np.unravel_index(int(np.argmax(excess)), expected.shape)
        raise AssertionError(
            f"{what}: {int(bad.sum())} of {expected.size} elements out of tolerance; worst at "
            f"{idx}: got {actual[idx]!r}, expected {expected[idx]!r}, |diff|={err[idx]:.3g} > "
            f"bound {bound[idx]:.3g}"
        )


def gemm_error_bound(abs_product, k: int, extra=0.0):
    """Rounding bound for a float32 dot product of length k: (k+2) u |a||b| (u = 2^-24),
    doubled for slack, plus `extra` (e.g. |beta c| terms) and a tiny absolute floor."""
    u = 2.0**-24
    return 2.0 * (k + 2) * u * (np.asarray(abs_product) + extra) + 1e-30
