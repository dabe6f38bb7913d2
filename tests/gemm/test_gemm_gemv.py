"""The GEMV path of the GEMM driver: products whose op(A) has a few rows (a dense layer at batch
1; up to 4 rows on AVX-512, 8 on AVX2, 2 scalar, the tile path beyond) against a B read in
place, on every ISA, against the float64 reference. Covers the kernels' column blocks (256 / 96
/ 64 columns for one row; fewer per row for more rows) exactly, below and above, the masked
last vector, the depth segments and bands, the epilogue (alpha, beta, bias, relu),
leading-dimension views, and bit identity over thread counts."""

from __future__ import annotations

import numpy as np
import pytest

import fastconv
from fastconv import _core, ops, reference
from assertions import assert_within, gemm_error_bound

# Every row count the SIMD kernels specialise (AVX2: 1-8; AVX-512: 1-4) within the time budget.
ROWS = [1, 2, 3, 4, 6, 8]
DEPTHS = [1, 3, 17, 2048, 1001]
COLS = [1, 5, 15, 16, 17, 31, 33, 255, 256, 257, 1000]
# (alpha, beta, bias, relu) combinations, cycled over the shapes.
EPILOGUES = [(1.0, 0.0, True, True), (1.0, 0.0, False, False), (0.5, -1.5, True, False),
             (-2.0, 1.0, False, True), (0.0, 0.25, True, True), (1.0, 1.0, True, False)]


def _expected(a, b, c0, alpha, beta, bias, relu):
    out = reference.gemm(a, b, c0, alpha, beta)
    if bias is not None:
        out = out + bias.astype(np.float64)
    return np.maximum(out, 0.0) if relu else out


def _bound(a, b, c0, alpha, beta, bias):
    extra = abs(beta) * np.abs(c0.astype(np.float64)) if beta != 0.0 else 0.0
    if bias is not None:
        extra = extra + np.abs(bias.astype(np.float64))
    product = abs(alpha) * (np.abs(a.astype(np.float64)) @ np.abs(b.astype(np.float64)))
    return gemm_error_bound(product, a.shape[1], extra)


def _run(a, b, c, alpha, beta, bias, relu):
    _core.gemm(a, b, c, alpha, beta, False, False, bias, relu)
    return c


@pytest.mark.parametrize("k", DEPTHS)
@pytest.mark.parametrize("m", ROWS)
def test_gemv_matches_reference(isa, rng, m, k):
    for case, n in enumerate(COLS):
        alpha, beta, with_bias, relu = EPILOGUES[(case + k) % len(EPILOGUES)]
        a = rng.standard_normal((m, k)).astype(np.float32)
        b = rng.standard_normal((k, n)).astype(np.float32)
        bias = rng.standard_normal(n).astype(np.float32) if with_bias else None
        c = rng.standard_normal((m, n)).astype(np.float32)
        if beta == 0.0:
            c[...] = np.nan  # beta == 0 must not read C
        c0 = c.copy()
        out = _run(a, b, c, alpha, beta, bias, relu)
        what = (f"gemv[{isa}] m={m} k={k} n={n} alpha={alpha} beta={beta} "
                f"bias={with_bias} relu={relu}")
        assert np.isfinite(out).all(), what
        assert_within(out, _expected(a, b, c0, alpha, beta, bias, relu),
                      _bound(a, b, c0, alpha, beta, bias), what)


@pytest.mark.parametrize("m", [1, 3])
def test_gemv_dense_and_matmul(isa, rng, m):
    # The public entry points that reach the GEMV path: dense at batch <= 4, matmul, gemm.
    x = rng.standard_normal((m, 2048)).astype(np.float32)
    w = rng.standard_normal((2048, 256)).astype(np.float32)
    bias = rng.standard_normal(256).astype(np.float32)
    y = ops.dense(x, w, bias, activation="relu")
    bound = gemm_error_bound(np.abs(x.astype(np.float64)) @ np.abs(w), 2048, np.abs(bias))
    assert_within(y, reference.dense(x, w, bias, "relu"), bound, f"dense[{isa}] m={m}")
    y = ops.matmul(x, w)
    bound = gemm_error_bound(np.abs(x.astype(np.float64)) @ np.abs(w), 2048)
    assert_within(y, reference.gemm(x, w), bound, f"matmul[{isa}] m={m}")


@pytest.mark.parametrize("m", [1, 3, 8])
def test_gemv_leading_dimension_views(isa, rng, m):
    # A a row block of a wider matrix (lda > k), B a column window starting off a vector
    # boundary (ldb > n, unaligned), C a window of a wider array: the kernel reads and writes
    # only the view.
    for k, n, off in [(37, 40, 3), (300, 257, 5), (64, 600, 1)]:
        big_a = rng.standard_normal((m + 2, k + 9)).astype(np.float32)
        big_b = rng.standard_normal((k, n + 2 * off + 7)).astype(np.float32)
        big_c = np.full((m + 1, n + 20), 7.0, np.float32)
        a, b, c = big_a[1:m + 1, 4:4 + k], big_b[:, off:off + n], big_c[:m, 10:10 + n]
        bias = rng.standard_normal(n).astype(np.float32)
        c0 = c.copy()
        out = _run(a, b, c, 1.5, 0.5, bias, False)
        assert_within(out, _expected(a, b, c0, 1.5, 0.5, bias, False),
                      _bound(a, b, c0, 1.5, 0.5, bias), f"gemv views[{isa}] m={m} k={k} n={n}")
        assert (big_c[:m, :10] == 7.0).all() and (big_c[:m, 10 + n:] == 7.0).all()
        assert (big_c[m:] == 7.0).all()


@pytest.mark.parametrize("transpose_a", [False, True])
@pytest.mark.parametrize("transpose_b", [False, True])
def test_gemv_transposed_operands(isa, rng, transpose_a, transpose_b):
    # A stored transposed (K, 1) is packed first; a transposed B is not read in place and goes
    # through the tiled GEMM: the results must be right either way.
    for m, k, n in [(1, 513, 300), (2, 100, 33), (4, 7, 1000), (8, 600, 40)]:
        a = rng.standard_normal((k, m) if transpose_a else (m, k)).astype(np.float32)
        b = rng.standard_normal((n, k) if transpose_b else (k, n)).astype(np.float32)
        out = ops.gemm(a, b, transpose_a=transpose_a, transpose_b=transpose_b)
        opa, opb = (a.T if transpose_a else a), (b.T if transpose_b else b)
        bound = gemm_error_bound(np.abs(opa.astype(np.float64)) @ np.abs(opb), k)
        assert_within(out, reference.gemm(opa, opb), bound,
                      f"gemv[{isa}] m={m} k={k} n={n} ta={transpose_a} tb={transpose_b}")


def test_gemv_relu_passes_nan(isa):
    # relu keeps NaN visible, as the GEMM kernels do.
    a = np.ones((1, 4), np.float32)
    b = np.ones((4, 40), np.float32)
    b[2, 7] = np.nan
    b[1, 3] = -10.0
    out = ops.dense(a, b, activation="relu")
    assert np.isnan(out[0, 7]) and out[0, 3] == 0.0 and out[0, 0] == 4.0


def test_gemv_empty_depth(isa):
    c = np.full((1, 20), 2.0, np.float32)
    bias = np.arange(20, dtype=np.float32) - 10.0
    _core.gemm(np.zeros((1, 0), np.float32), np.zeros((0, 20), np.float32), c, 1.0, 0.5,
               False, False, bias, True)
    np.testing.assert_array_equal(c[0], np.maximum(1.0 + bias, 0.0))


# Big enough for the driver to use 2 and 3 threads (it wants ~4 MB of B per thread). k > 512:
# threads take depth segments of 512 rows, summed in order afterwards; k <= 512: they split
# the columns.
@pytest.mark.parametrize("m, k, n", [(1, 2048, 3100), (1, 6500, 1000), (3, 3000, 2100),
                                      (4, 6300, 1000), (7, 1600, 4000), (1, 500, 6500),
                                      (3, 512, 6200), (2, 300, 10500)])
def test_gemv_bit_identical_across_threads(isa, rng, threads, m, k, n):
    # Every output's summation order is fixed by the shape alone (segments, bands and column
    # blocks never depend on the thread count): bit for bit the same results for 1, 2, 3 threads.
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    bias = rng.standard_normal(n).astype(np.float32)
    c_init = rng.standard_normal((m, n)).astype(np.float32)
    results = []
    for t in (1, 2, 3):
        fastconv.set_num_threads(t)
        results.append(_run(a, b, c_init.copy(), 0.75, -0.5, bias, True))
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], results[2])
    bound = _bound(a, b, c_init, 0.75, -0.5, bias)
    assert_within(results[0], _expected(a, b, c_init, 0.75, -0.5, bias, True), bound,
                  f"gemv threads[{isa}] m={m} k={k} n={n}")


def test_gemv_repeated_calls_walk_back_and_forth_with_the_same_bits(isa, rng, threads):
    # On one thread, successive products with the same B walk its 512-row depth segments in
    # alternate directions (what was read last is still in L2); the segment sums are added in
    # their fixed order either way, so every call gives the same bits. Several B's interleaved
    # (a model's dense layers) each keep their own alternation.
    fastconv.set_num_threads(1)
    bs = [rng.standard_normal((k, 96)).astype(np.float32) for k in (2048, 1500, 2600)]
    a = {b.shape[0]: rng.standard_normal((1, b.shape[0])).astype(np.float32) for b in bs}
    first = {b.shape[0]: ops.matmul(a[b.shape[0]], b) for b in bs}
    for _ in range(5):
        for b in bs:
            k = b.shape[0]
            np.testing.assert_array_equal(ops.matmul(a[k], b), first[k], err_msg=f"k={k}")
    for b in bs:
        k = b.shape[0]
        ref = reference.gemm(a[k].astype(np.float64), b.astype(np.float64))
        assert_within(first[k], ref, gemm_error_bound(np.abs(a[k]) @ np.abs(b), 512 + k // 512),
                      f"gemv[{isa}] k={k}")
