"""fastconv.ops.gemm / matmul / dense against the float64 NumPy reference, on every ISA."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastconv
from fastconv import ops, reference
from assertions import assert_within, gemm_error_bound

# Sizes that hit the register tiles (4x8, 6x16, 12x32; the AVX-512 kernel's 4/8/12-row and
# 1/2-vector edge variants), the cache blocks (kc 256/384, nc 512/768) and the in-place-B row
# limit (256 rows per thread) exactly, just below and just above, plus primes.
EDGE_SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 15, 16, 17, 23, 24, 25, 31, 32, 33, 47, 48,
              49, 63, 64, 65, 95, 96, 97, 100, 127, 128, 129, 191, 192, 193, 255, 256, 257, 299,
              300]
DEPTHS = EDGE_SIZES + [383, 384, 385, 511, 512, 513, 767, 768, 769]
dim = st.one_of(st.integers(1, 300), st.sampled_from(EDGE_SIZES))
depth = st.one_of(st.integers(1, 300), st.sampled_from(DEPTHS))
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _operands(rng, m, n, k, transpose_a, transpose_b):
    a = rng.standard_normal((k, m) if transpose_a else (m, k)).astype(np.float32)
    b = rng.standard_normal((n, k) if transpose_b else (k, n)).astype(np.float32)
    return a, b


def _check(a, b, c, out, alpha, beta, transpose_a, transpose_b, what):
    expected = reference.gemm(a, b, c, alpha, beta, transpose_a, transpose_b)
    opa = np.abs(a.T if transpose_a else a).astype(np.float64)
    opb = np.abs(b.T if transpose_b else b).astype(np.float64)
    extra = abs(beta) * np.abs(c.astype(np.float64)) if (c is not None and beta != 0) else 0.0
    bound = gemm_error_bound(abs(alpha) * (opa @ opb), opa.shape[1], extra)
    assert_within(out, expected, bound, what)


@SETTINGS
@given(m=dim, n=dim, k=depth, transpose_a=st.booleans(), transpose_b=st.booleans(),
       seed=st.integers(0, 2**32 - 1))
def test_matmul_matches_reference(isa, m, n, k, transpose_a, transpose_b, seed):
    rng = np.random.default_rng(seed)
    a, b = _operands(rng, m, n, k, transpose_a, transpose_b)
    out = ops.matmul(a, b, transpose_a=transpose_a, transpose_b=transpose_b)
    assert out.dtype == np.float32 and out.shape == (m, n)
    _check(a, b, None, out, 1.0, 0.0, transpose_a, transpose_b,
           f"matmul[{isa}] m={m} n={n} k={k} ta={transpose_a} tb={transpose_b}")


@SETTINGS
@given(m=dim, n=dim, k=depth, alpha=st.sampled_from([1.0, -0.5, 2.0, 0.0]),
       beta=st.sampled_from([0.0, 1.0, -1.5, 0.25]), transpose_a=st.booleans(),
       transpose_b=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_gemm_alpha_beta_in_place(isa, m, n, k, alpha, beta, transpose_a, transpose_b, seed):
    rng = np.random.default_rng(seed)
    a, b = _operands(rng, m, n, k, transpose_a, transpose_b)
    c = rng.standard_normal((m, n)).astype(np.float32)
    if beta == 0.0:
        c[...] = np.nan  # beta == 0 must not read C (BLAS semantics)
    c0 = c.copy()
    out = ops.gemm(a, b, c, alpha=alpha, beta=beta, transpose_a=transpose_a,
                   transpose_b=transpose_b)
    assert out is c, "a writable float32 c is updated in place"
    assert np.isfinite(out).all()
    _check(a, b, c0, out, alpha, beta, transpose_a, transpose_b,
           f"gemm[{isa}] m={m} n={n} k={k} alpha={alpha} beta={beta}")


def test_gemm_leading_dimension_views(isa, rng):
    big_a = rng.standard_normal((70, 90)).astype(np.float32)
    big_b = rng.standard_normal((90, 120)).astype(np.float32)
    big_c = np.full((70, 130), 7.0, np.float32)
    a, b, c = big_a[:, :50], big_b[:50, 3:103], big_c[:, 10:110]
    out = ops.gemm(a, b, c)
    assert out is c
    _check(a, b, None, out, 1.0, 0.0, False, False, f"gemm ld views [{isa}]")
    # Columns outside the view are untouched.
    assert (big_c[:, :10] == 7.0).all() and (big_c[:, 110:] == 7.0).all()


@pytest.mark.parametrize("activation", [None, "relu", "linear", "RELU"])
@pytest.mark.parametrize("shape", [(1, 1, 1), (100, 2048, 256), (7, 33, 65), (13, 300, 10)])
def test_dense_fused_bias_relu(isa, rng, activation, shape):
    n, fin, fout = shape
    x = rng.standard_normal((n, fin)).astype(np.float32)
    w = rng.standard_normal((fin, fout)).astype(np.float32)
    b = rng.standard_normal(fout).astype(np.float32)
    act = activation.lower() if activation else None
    y = ops.dense(x, w, b, activation=activation)
    expected = reference.dense(x, w, b, "relu" if act == "relu" else None)
    bound = gemm_error_bound(np.abs(x.astype(np.float64)) @ np.abs(w), fin, np.abs(b))
    assert_within(y, expected, bound, f"dense[{isa}] {shape} {activation}")
    if act == "relu":
        assert (y >= 0).all()


def test_dense_without_bias(isa, rng):
    x = rng.standard_normal((5, 9)).astype(np.float32)
    w = rng.standard_normal((9, 4)).astype(np.float32)
    y = ops.dense(x, w)
    assert_within(y, reference.dense(x, w), 1e-5, "dense no bias")


def test_empty_dimensions(isa):
    assert ops.matmul(np.zeros((0, 5)), np.zeros((5, 3))).shape == (0, 3)
    assert ops.matmul(np.zeros((4, 5)), np.zeros((5, 0))).shape == (4, 0)
    # K == 0: the product is an empty sum, so zeros (and beta * C for gemm).
    out = ops.matmul(np.zeros((4, 0)), np.zeros((0, 3)))
    assert out.shape == (4, 3) and (out == 0).all()
    c = np.full((4, 3), 2.0, np.float32)
    ops.gemm(np.zeros((4, 0), np.float32), np.zeros((0, 3), np.float32), c, beta=0.5)
    assert (c == 1.0).all()
    y = ops.dense(np.zeros((2, 0)), np.zeros((0, 3)), np.array([1.0, -2.0, 3.0]), "relu")
    np.testing.assert_array_equal(y, [[1.0, 0.0, 3.0]] * 2)


def test_relu_propagates_nan(isa):
    x = np.array([[np.nan, 1.0]], np.float32)
    w = np.ones((2, 3), np.float32)
    y = ops.dense(x, w, activation="relu")
    assert np.isnan(y).all(), "a NaN input must not be hidden by the fused ReLU"


def test_accepts_array_likes_and_converts(isa):
    y = ops.matmul([[1, 2], [3, 4]], np.array([[1.0], [1.0]], np.float64))
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, [[3.0], [7.0]])
    y = ops.matmul(np.array([[True, False]]), np.eye(2, dtype=np.int64))
    np.testing.assert_array_equal(y, [[1.0, 0.0]])
    # Non-contiguous and negative-stride inputs are copied, not misread.
    a = np.arange(24, dtype=np.float32).reshape(4, 6)[:, ::2]
    b = np.arange(12, dtype=np.float32).reshape(3, 4)[::-1]
    np.testing.assert_allclose(ops.matmul(a, b), a.astype(np.float64) @ b, rtol=1e-6)


# (m, n, k): threads split M or N depending on the shape; 300 rows are above the in-place-B
# row limit for one thread but below it per thread for two; m <= MR takes the shallow-KC
# matrix-vector blocking.
@pytest.mark.parametrize("size", [(200, 300, 500), (100, 256, 2048), (1000, 37, 64),
                                  (300, 520, 70), (37, 700, 400), (5, 3, 1000),
                                  (1, 4096, 1000), (12, 700, 333)])  # shallow-KC GEMV path
def test_bit_identical_for_any_thread_count(isa, threads, rng, size):
    m, n, k = size
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    bias = rng.standard_normal(n).astype(np.float32)
    fastconv.set_num_threads(1)
    one = ops.dense(a, b, bias, "relu")
    fastconv.set_num_threads(2)
    two = ops.dense(a, b, bias, "relu")
    fastconv.set_num_threads(3)  # more threads than cores still splits the same way per element
    three = ops.dense(a, b, bias, "relu")
    assert np.array_equal(one, two) and np.array_equal(one, three)


class TestErrors:
    def test_rank(self):
        with pytest.raises(ValueError, match=r"matmul|gemm.*a must have rank 2.*\(3,\)"):
            ops.matmul(np.ones(3), np.ones((3, 3)))
        with pytest.raises(ValueError, match=r"dense: w must have rank 2"):
            ops.dense(np.ones((2, 3)), np.ones((3, 3, 1)))

    def test_inner_dimension(self):
        with pytest.raises(ValueError, match=r"inner dimensions differ.*2x3.*4x5"):
            ops.matmul(np.ones((2, 3)), np.ones((4, 5)))
        with pytest.raises(ValueError, match=r"dense: x has 3 features but w expects 4"):
            ops.dense(np.ones((2, 3)), np.ones((4, 5)))

    def test_bias_shape(self):
        with pytest.raises(ValueError, match=r"dense: b must have shape \(5,\).*got \(4,\)"):
            ops.dense(np.ones((2, 3)), np.ones((3, 5)), np.ones(4))

    def test_c_shape(self):
        with pytest.raises(ValueError, match=r"gemm: c has shape \(2, 2\), expected \(2, 5\)"):
            ops.gemm(np.ones((2, 3)), np.ones((3, 5)), np.ones((2, 2), np.float32), beta=1.0)

    @pytest.mark.parametrize("bad", [np.array([["a"]]), np.array([[1 + 2j]]),
                                     np.array([[object()]])])
    def test_dtype(self, bad):
        with pytest.raises(TypeError, match=r"matmul|gemm: a must hold real numbers"):
            ops.matmul(bad, np.ones((1, 1)))

    def test_ragged(self):
        with pytest.raises(TypeError, match=r"cannot be converted"):
            ops.matmul([[1, 2], [3]], np.ones((2, 2)))

    def test_flags_and_scalars(self):
        with pytest.raises(TypeError, match=r"transpose_a must be a bool"):
            ops.matmul(np.ones((2, 2)), np.ones((2, 2)), transpose_a="yes")
        with pytest.raises(TypeError, match=r"alpha must be a real number"):
            ops.gemm(np.ones((2, 2)), np.ones((2, 2)), alpha="2")
        with pytest.raises(ValueError, match=r"activation must be None or 'relu'"):
            ops.dense(np.ones((2, 2)), np.ones((2, 2)), activation="gelu")

    def test_core_rejects_unconverted_input(self):
        from fastconv import _core

        c = np.zeros((2, 2), np.float32)
        with pytest.raises(TypeError):
            _core.gemm(np.ones((2, 2)), np.ones((2, 2), np.float32), c)  # float64: no cast
        with pytest.raises(ValueError, match="read-only"):
            ro = np.zeros((2, 2), np.float32)
            ro.flags.writeable = False
            _core.gemm(np.ones((2, 2), np.float32), np.ones((2, 2), np.float32), ro)
