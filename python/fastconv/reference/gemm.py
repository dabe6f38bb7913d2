"""NumPy float64 references for the GEMM entry points (the test oracle, never the fast path)."""

from __future__ import annotations

import numpy as np


def gemm(a, b, c=None, alpha=1.0, beta=0.0, transpose_a=False, transpose_b=False):
    """a (M,K) [or (K,M)], b (K,N) [or (N,K)], c (M,N) -> alpha*op(a)@op(b) + beta*c, float64.

    beta == 0 ignores c entirely (BLAS semantics: NaN in c does not propagate).
    """
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    opa = a.T if transpose_a else a
    opb = b.T if transpose_b else b
    out = alpha * (opa @ opb)
    if c is not None and beta != 0.0:
        out = out + beta * np.asarray(c, np.float64)
    return out


def matmul(a, b, transpose_a=False, transpose_b=False):
    """op(a) @ op(b) in float64."""
    return gemm(a, b, transpose_a=transpose_a, transpose_b=transpose_b)


def dense(x, w, b=None, activation=None):
    """x (N,IN), w (IN,OUT), b (OUT,) -> y (N,OUT) = act(x @ w + b), float64."""
    y = np.asarray(x, np.float64) @ np.asarray(w, np.float64)
    if b is not None:
        y = y + np.asarray(b, np.float64)
    if activation == "relu":
        y = np.maximum(y, 0.0)
    return y
