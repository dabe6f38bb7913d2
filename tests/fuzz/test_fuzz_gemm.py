"""Fuzzing the matrix-product ops at the Python boundary: ops.gemm, ops.matmul, ops.dense and
the NumPy-level fastconv.ops.gemm.dense / matmul. See fuzz_support for the contract checked."""

from __future__ import annotations

import importlib

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from assertions import gemm_error_bound
from fastconv import ops
from fuzz_support import FUZZ_PER_ISA, Args, as_array, assert_matches, check_call

gemm_mod = importlib.import_module("fastconv.ops.gemm")  # ops.gemm is the function
dims = st.integers(0, 19)
GOOD_SCALARS = (1.0, -1.0, 0.5, 2, 0, np.float32(1.5), np.float64(-0.25), np.int64(3))
BAD_SCALARS = (True, "1", 1j, None, [1.0])


def _shape2(data, rows, cols, name):
    """(rows, cols) usually; sometimes a wrong rank (1-D or 3-D) to be rejected."""
    rank = data.draw(st.sampled_from((2, 2, 2, 2, 2, 2, 1, 3)), label=f"{name} rank")
    if rank == 1:
        return (rows,), False
    if rank == 3:
        return (rows, cols, 1), False
    return (rows, cols), True


@FUZZ_PER_ISA
@given(data=st.data(), m=dims, k=dims, n=dims, ta=st.booleans(), tb=st.booleans(),
       seed=st.integers(0, 2**32 - 1), special=st.booleans())
def test_fuzz_gemm(isa, data, m, k, n, ta, tb, seed, special):
    args = Args(data, seed, special)
    kb = k if data.draw(st.integers(0, 7)) else data.draw(dims)
    a_shape, ok_a = _shape2(data, *((k, m) if ta else (m, k)), "a")
    b_shape, ok_b = _shape2(data, *((n, kb) if tb else (kb, n)), "b")
    a, a64 = args.array(a_shape)
    b, b64 = args.array(b_shape)
    alpha = data.draw(st.sampled_from(GOOD_SCALARS + BAD_SCALARS[:1]), label="alpha")
    beta = data.draw(st.sampled_from(GOOD_SCALARS + BAD_SCALARS), label="beta")
    use_c = data.draw(st.booleans(), label="use c")
    c = c64 = None
    if use_c:
        c, c64 = args.array((m, n))
    scalars_ok = all(not isinstance(s, (bool, str, complex, list, type(None)))
                     for s in (alpha, beta))
    valid = ok_a and ok_b and kb == k and not args.bad and scalars_ok

    def expect(out):
        # fastconv's rule (BLAS's): beta == 0 never reads c; alpha == 0 still multiplies.
        prod = (a64.T if ta else a64) @ (b64.T if tb else b64)
        absprod = np.abs(a64.T if ta else a64) @ np.abs(b64.T if tb else b64)
        exp = float(alpha) * prod
        extra = 0.0
        if c64 is not None and float(beta) != 0.0:
            exp = exp + float(beta) * c64
            extra = np.abs(float(beta) * c64)
        bound = gemm_error_bound(abs(float(alpha)) * absprod, k, extra)
        assert_matches(as_array(out), exp, bound, "gemm")

    check_call("gemm", lambda: ops.gemm(a, b, c, alpha, beta, ta, tb), expect, valid=valid,
               must_reject=args.bad)


@FUZZ_PER_ISA
@given(data=st.data(), m=dims, k=dims, n=dims, ta=st.booleans(), tb=st.booleans(),
       seed=st.integers(0, 2**32 - 1), special=st.booleans(),
       functional=st.booleans())
def test_fuzz_matmul(isa, data, m, k, n, ta, tb, seed, special, functional):
    args = Args(data, seed, special)
    kb = k if data.draw(st.integers(0, 7)) else data.draw(dims)
    a_shape, ok_a = _shape2(data, *((k, m) if ta else (m, k)), "a")
    b_shape, ok_b = _shape2(data, *((n, kb) if tb else (kb, n)), "b")
    a, a64 = args.array(a_shape)
    b, b64 = args.array(b_shape)
    valid = ok_a and ok_b and kb == k and not args.bad
    fn = ops.matmul if functional else gemm_mod.matmul

    def expect(out):
        opa, opb = (a64.T if ta else a64), (b64.T if tb else b64)
        assert_matches(as_array(out), opa @ opb, gemm_error_bound(np.abs(opa) @ np.abs(opb), k),
                       "matmul")

    check_call("matmul", lambda: fn(a, b, ta, tb), expect, valid=valid, must_reject=args.bad)


@FUZZ_PER_ISA
@given(data=st.data(), n=dims, fin=dims, fout=dims, seed=st.integers(0, 2**32 - 1),
       special=st.booleans(), functional=st.booleans(),
       activation=st.sampled_from((None, None, "relu", "linear", "ReLU", "tanh", 3)),
       bias=st.sampled_from(("none", "ok", "ok", "wrong", "2d")))
def test_fuzz_dense(isa, data, n, fin, fout, seed, special, functional, activation, bias):
    args = Args(data, seed, special)
    fin_w = fin if data.draw(st.integers(0, 7)) else data.draw(dims)
    x_shape, ok_x = _shape2(data, n, fin, "x")
    w_shape, ok_w = _shape2(data, fin_w, fout, "w")
    x, x64 = args.array(x_shape)
    w, w64 = args.array(w_shape)
    b = b64 = None
    if bias != "none":
        b_shape = {"ok": (fout,), "wrong": (fout + 1,), "2d": (1, fout)}[bias]
        b, b64 = args.array(b_shape)
    act_ok = activation is None or (isinstance(activation, str)
                                    and activation.lower() in ("relu", "linear"))
    valid = ok_x and ok_w and fin_w == fin and bias in ("none", "ok") and act_ok and not args.bad
    fn = ops.dense if functional else gemm_mod.dense

    def expect(out):
        y = x64 @ w64
        bound = gemm_error_bound(np.abs(x64) @ np.abs(w64), fin,
                                 0.0 if b64 is None else np.abs(b64))
        if b64 is not None:
            y = y + b64
        if isinstance(activation, str) and activation.lower() == "relu":
            # max(NaN, 0) is NaN: a NaN pre-activation must not be turned into 0.
            y = np.where(np.isnan(y), y, np.maximum(y, 0.0))
        assert_matches(as_array(out), y, bound, "dense")

    check_call("dense", lambda: fn(x, w, b, activation), expect, valid=valid,
               must_reject=args.bad)
