"""Matrix products on the native packed GEMM: matmul, the dense-layer primitive, full gemm."""

from __future__ import annotations

import numpy as np

from fastconv import _core
from fastconv.ops._check import (
    as_float32,
    check_activation,
    check_alloc,
    check_flag,
    check_rank,
    check_scalar,
)


def _matrix(x, op: str, arg: str) -> np.ndarray:
    arr = as_float32(x, op, arg)
    check_rank(arr, 2, op, arg)
    return arr


def gemm(a, b, c=None, alpha=1.0, beta=0.0, transpose_a=False, transpose_b=False):
    """``alpha * op(a) @ op(b) + beta * c`` in float32, like BLAS sgemm.

    a (M,K) or (K,M) if transpose_a; b (K,N) or (N,K) if transpose_b; c (M,N) or None.
    When ``c`` is a writable float32 array whose rows are contiguous (a leading-dimension view
    such as ``big[:, :n]`` is fine) it is updated in place and returned; otherwise a new array
    is returned. With ``beta == 0`` the old contents of ``c`` are never read (NaN is fine).
    """
    return _gemm("gemm", a, b, c, alpha, beta, transpose_a, transpose_b)


def _gemm(op, a, b, c, alpha, beta, transpose_a, transpose_b):
    """gemm's body; ``op`` is the public name used in error messages (gemm or matmul)."""
    transpose_a = check_flag(transpose_a, op, "transpose_a")
    transpose_b = check_flag(transpose_b, op, "transpose_b")
    alpha = check_scalar(alpha, op, "alpha")
    beta = check_scalar(beta, op, "beta")
    a = _matrix(a, op, "a")
    b = _matrix(b, op, "b")
    m, k = (a.shape[1], a.shape[0]) if transpose_a else a.shape
    kb, n = (b.shape[1], b.shape[0]) if transpose_b else b.shape
    if k != kb:
        raise ValueError(
            f"{op}: inner dimensions differ: op(a) is {m}x{k}, op(b) is {kb}x{n} "
            f"(a.shape={a.shape}, b.shape={b.shape}, transpose_a={transpose_a}, "
            f"transpose_b={transpose_b})"
        )
    if c is None:
        check_alloc((m, n), op, "the output")
        out = np.empty((m, n), np.float32)
        beta = 0.0
    elif _usable_in_place(c):
        out = c
        if out.shape != (m, n):
            raise ValueError(f"{op}: c has shape {out.shape}, expected {(m, n)}")
    else:
        out = as_float32(c, op, "c").copy()
        check_rank(out, 2, op, "c")
        if out.shape != (m, n):
            raise ValueError(f"{op}: c has shape {out.shape}, expected {(m, n)}")
    _core.gemm(a, b, out, alpha, beta, transpose_a, transpose_b)
    return out


def _usable_in_place(c) -> bool:
    return (
        isinstance(c, np.ndarray)
        and c.dtype == np.float32
        and c.ndim == 2
        and c.flags.writeable
        and (c.shape[1] <= 1 or c.strides[1] == 4)
        and (c.shape[0] <= 1 or (c.strides[0] > 0 and c.strides[0] % 4 == 0
                                 and c.strides[0] >= 4 * c.shape[1]))
    )


def matmul(a, b, transpose_a=False, transpose_b=False) -> np.ndarray:
    """``op(a) @ op(b)`` for 2-D float arrays (converted once to float32)."""
    return _gemm("matmul", a, b, None, 1.0, 0.0, transpose_a, transpose_b)


def dense(x, w, b=None, activation=None) -> np.ndarray:
    """The dense-layer forward: ``x @ w + b``, optionally followed by ReLU, fused in one pass.

    x (N, IN), w (IN, OUT), b (OUT,) or None -> y (N, OUT).
    """
    op = "dense"
    act = check_activation(activation, op)
    x = _matrix(x, op, "x")
    w = _matrix(w, op, "w")
    if x.shape[1] != w.shape[0]:
        raise ValueError(
            f"{op}: x has {x.shape[1]} features but w expects {w.shape[0]} "
            f"(x.shape={x.shape}, w.shape={w.shape})"
        )
    bias = None
    if b is not None:
        bias = as_float32(b, op, "b")
        if bias.shape != (w.shape[1],):
            raise ValueError(
                f"{op}: b must have shape ({w.shape[1]},) to match w.shape={w.shape}, "
                f"got {bias.shape}"
            )
    check_alloc((x.shape[0], w.shape[1]), op, "the output")
    y = np.empty((x.shape[0], w.shape[1]), np.float32)
    _core.gemm(x, w, y, 1.0, 0.0, False, False, bias, act == "relu")
    return y


def fma_peak_probe(seconds=0.2, threads=1) -> float:
    """The machine's FP32 FMA throughput in GF/s, measured now with the active ISA's kernel
    (independent FMA chains, no memory traffic) on exactly ``threads`` threads for about
    ``seconds``. Benchmarks divide GEMM GF/s by it to report a fraction of peak."""
    op = "fma_peak_probe"
    if isinstance(threads, bool) or not isinstance(threads, int):
        raise TypeError(f"{op}: threads must be an int, got {type(threads).__name__}")
    seconds = check_scalar(seconds, op, "seconds")
    if threads < 1:
        raise ValueError(f"{op}: threads must be >= 1, got {threads}")
    if not 0.0 < seconds <= 60.0:
        raise ValueError(f"{op}: seconds must be in (0, 60], got {seconds}")
    return _core.fma_peak_probe(seconds, threads)
