"""Pointwise (1x1, stride 1, unpadded) convolutions on the GEMM paths. Backward-filter that
narrows the channels (C >= 2F) over many pixels: computed transposed, dw^T = dy^T . x in chunks
of pixels, then transposed. Forward and backward-data: chunks of rows taken by threads
dynamically. Against the float64 reference on every ISA; bit-identical for 1, 2 and 3
threads."""

from __future__ import annotations

import numpy as np
import pytest

import fastconv
from fastconv import ops, reference
from assertions import assert_within, gemm_error_bound

ARGS = ((1, 1), ((0, 0), (0, 0)), (1, 1))

SHAPES = [
    # (x shape, F): C >= 2F and N*H*W >= 4096, so the transposed path runs
    ((2, 48, 48, 40), 8),
    ((1, 70, 65, 33), 16),  # odd C and pixel count; F = 16 leaves a 4-row tile
    ((3, 40, 40, 64), 5),
    ((8, 23, 23, 256), 64),  # ResNet's reduce layer, smaller image
    ((1, 64, 64, 100), 50),  # C = 2F exactly
    # and beside it (not transposed): C < 2F, and too few pixels
    ((2, 48, 48, 40), 21),
    ((1, 30, 30, 128), 16),
]


def _rand(rng, shape):
    return rng.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("x_shape,f", SHAPES)
def test_pointwise_bwd_filter_matches_reference(isa, x_shape, f):
    rng = np.random.default_rng(x_shape[3] * 100 + f)
    x = _rand(rng, x_shape)
    dy = _rand(rng, x_shape[:3] + (f,))
    w_shape = (1, 1, x_shape[3], f)
    dw, db = ops.conv2d_bwd_filter(x, dy, w_shape, *ARGS)
    edw, edb = reference.conv2d_bwd_filter(x, dy, w_shape, *ARGS)
    adw, adb = reference.conv2d_bwd_filter(np.abs(x), np.abs(dy), w_shape, *ARGS)
    m = int(np.prod(x_shape[:3]))
    what = f"[{isa}] x{x_shape} F={f}"
    assert_within(dw, edw, gemm_error_bound(adw, m), "conv2d_bwd_filter dw " + what)
    assert_within(db, edb, gemm_error_bound(adb, m), "conv2d_bwd_filter db " + what)


@pytest.mark.parametrize("x_shape,f", [((2, 48, 48, 40), 8), ((8, 23, 23, 256), 64)])
def test_pointwise_bwd_filter_bit_identical_across_thread_counts(isa, threads, x_shape, f):
    rng = np.random.default_rng(9)
    x, dy = _rand(rng, x_shape), _rand(rng, x_shape[:3] + (f,))
    w_shape = (1, 1, x_shape[3], f)
    results = []
    for nt in (1, 2, 3):
        fastconv.set_num_threads(nt)
        results.append(ops.conv2d_bwd_filter(x, dy, w_shape, *ARGS))
    for nt, (dw, db) in zip((2, 3), results[1:]):
        np.testing.assert_array_equal(dw, results[0][0], err_msg=f"dw, 1 vs {nt} threads")
        np.testing.assert_array_equal(db, results[0][1], err_msg=f"db, 1 vs {nt} threads")


@pytest.mark.parametrize("x_shape,f", [((2, 40, 41, 24), 16), ((1, 60, 50, 64), 40),
                                       ((3, 33, 29, 7), 33)])
def test_pointwise_fwd_and_bwd_data_chunked_rows(isa, threads, x_shape, f):
    """Pointwise forward and backward-data run as chunks of 96 row-tiles taken by threads
    dynamically (several chunks here, the last one partial): against the reference, and
    bit-identical for 1, 2 and 3 threads."""
    rng = np.random.default_rng(f)
    c = x_shape[3]
    x, w, b = _rand(rng, x_shape), _rand(rng, (1, 1, c, f)), _rand(rng, (f,))
    dy = _rand(rng, x_shape[:3] + (f,))
    results = []
    for nt in (1, 2, 3):
        fastconv.set_num_threads(nt)
        results.append((ops.conv2d_fwd(x, w, b, *ARGS, relu=True),
                        ops.conv2d_bwd_data(dy, w, x_shape, *ARGS)))
    y, dx = results[0]
    what = f"[{isa}] x{x_shape} F={f}"
    absy = reference.conv2d_fwd(np.abs(x), np.abs(w), np.abs(b), *ARGS)
    assert_within(y, reference.conv2d_fwd(x, w, b, *ARGS, relu=True),
                  gemm_error_bound(absy, c), "conv2d_fwd " + what)
    absdx = reference.conv2d_bwd_data(np.abs(dy), np.abs(w), x_shape, *ARGS)
    assert_within(dx, reference.conv2d_bwd_data(dy, w, x_shape, *ARGS),
                  gemm_error_bound(absdx, f), "conv2d_bwd_data " + what)
    for nt, (y2, dx2) in zip((2, 3), results[1:]):
        np.testing.assert_array_equal(y2, y, err_msg=f"y, 1 vs {nt} threads")
        np.testing.assert_array_equal(dx2, dx, err_msg=f"dx, 1 vs {nt} threads")
