"""Winograd F(4x4, 3x3) specifics: its matrices, that "winograd4" really runs it (every ISA has
its transforms: scalar, AVX2, AVX-512), how a NaN spreads through its tiles, and auto's routing. Its forward / backward-data accuracy against the float64 reference (with a bound
derived from the transforms) and its thread-count bit identity are checked with F(2x2, 3x3)'s, in
test_conv_winograd.py."""

from __future__ import annotations

import numpy as np

from fastconv import ops
from _wino_cases import TRANSFORMS, rand


def test_matrices_compute_the_correlation():
    # The tests' copy of the matrices (the error bound relies on them) is the algorithm: a 6x6
    # patch and a 3x3 filter give their 4x4 correlation.
    bt, g, at, _ = TRANSFORMS[4]
    rng = np.random.default_rng(0)
    d, k = rng.standard_normal((6, 6)), rng.standard_normal((3, 3))
    y = at @ ((g @ k @ g.T) * (bt @ d @ bt.T)) @ at.T
    ref = np.array([[np.sum(d[i:i + 3, j:j + 3] * k) for j in range(4)] for i in range(4)])
    np.testing.assert_allclose(y, ref, rtol=0, atol=1e-12)


def test_winograd4_is_not_f2_and_nan_propagates(isa, algo, rng):
    # "winograd4" really runs a different algorithm from "winograd"
    # (results differ in the last bits). A NaN in x at (5, 6) with 'same' padding lies in the
    # third row and fourth column of one 6x6 patch, which B^T spreads to five of its six rows
    # and columns and A^T to every output of the 4x4 tile [4:8, 4:8] and nowhere else. (F(2x2)
    # spreads it within the same outputs, less uniformly; direct: the 3x3 window [4:7, 5:8].)
    x, w = rand(rng, (1, 12, 12, 16)), rand(rng, (3, 3, 16, 16))
    algo("winograd")
    y2 = ops.conv2d(x, w, padding="same")
    algo("winograd4")
    y4 = ops.conv2d(x, w, padding="same")
    assert not np.array_equal(y2, y4)
    x[0, 5, 6, 3] = np.nan
    nan = np.isnan(ops.conv2d(x, w, padding="same", activation="relu")[0])
    tile = np.zeros((12, 12, 16), bool)
    tile[4:8, 4:8] = True
    assert nan[4:7, 5:8].all() and not (nan & ~tile).any()
    np.testing.assert_array_equal(nan, tile)


def test_auto_routing_takes_f4_where_measured_faster(isa, algo, rng):
    def run(name, x, w):
        algo(name)
        return ops.conv2d(x, w, padding="same")

    # The lab's 7x7x64 -> 128 at batch 100 (400 4x4 tiles, C F = 8192): F(4x4) on every ISA.
    x, w = rand(rng, (100, 7, 7, 64)), rand(rng, (3, 3, 64, 128))
    np.testing.assert_array_equal(run("auto", x, w), run("winograd4", x, w))
    # Few channels and filters (16 -> 16 at 8x28x28, 392 4x4 tiles): F(4x4) on every ISA (the
    # rule for kernels that pack the transformed input, AVX2 and scalar, takes it from 8
    # channels and 16 filters); 3 input channels: direct everywhere.
    x, w = rand(rng, (8, 28, 28, 16)), rand(rng, (3, 3, 16, 16))
    np.testing.assert_array_equal(run("auto", x, w), run("winograd4", x, w))
    x, w = rand(rng, (8, 28, 28, 3)), rand(rng, (3, 3, 3, 32))
    np.testing.assert_array_equal(run("auto", x, w), run("direct", x, w))
    # Many channels for the tiles (14x14x256 -> 256 at batch 8: 128 tiles, C F = 65536): F(2x2).
    x, w = rand(rng, (8, 14, 14, 256)), rand(rng, (3, 3, 256, 256))
    np.testing.assert_array_equal(run("auto", x, w), run("winograd", x, w))
