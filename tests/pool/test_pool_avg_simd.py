"""Average pooling on the SIMD channel blocks (64 channels per pass on AVX-512, 32 on AVX2):
channel counts that leave vector and lane tails, 1x1 maps, batch 1, global pooling, and results
bit-identical for 1, 2 and 3 threads on every ISA (float data, so the summation order matters)."""

from __future__ import annotations

import numpy as np
import pytest

import fastconv
from fastconv import reference
from fastconv._geometry import resolve_padding
from fastconv.ops import pool as P
from assertions import assert_within

U = 2.0**-24


@pytest.mark.parametrize("c", [1, 7, 24, 40, 63, 100, 129])
@pytest.mark.parametrize("shape,pool,strides,padding", [
    ((1, 1, 1), (1, 1), (1, 1), "valid"),   # batch 1, 1x1 map
    ((1, 1, 1), (2, 2), (2, 2), "same"),    # 1x1 map, window clipped to one real cell
    ((2, 7, 5), (2, 2), (2, 2), "same"),    # tiles, clipped edge windows divide by fewer cells
    ((1, 6, 6), (3, 3), (1, 1), "same"),    # overlapping windows (per 64-channel slice backward)
    ((2, 9, 7), (2, 3), (3, 4), "valid"),   # gaps between windows
])
def test_avgpool_channel_tails(isa, c, shape, pool, strides, padding):
    n, h, w = shape
    rng = np.random.default_rng(c * 1000 + h)
    x = rng.standard_normal((n, h, w, c)).astype(np.float32)
    pads = resolve_padding(padding, (h, w), pool, strides)
    y = P.avgpool2d_fwd(x, pool, strides, pads)
    ref = reference.avgpool2d_fwd(x, pool, strides, pads)
    k = pool[0] * pool[1]
    bound = 2 * (k + 2) * U * reference.avgpool2d_fwd(np.abs(x), pool, strides, pads) + 1e-30
    assert_within(y, ref, bound, f"avgpool2d_fwd[{isa}] c={c}")
    dy = rng.standard_normal(y.shape).astype(np.float32)
    dx = P.avgpool2d_bwd(dy, x.shape, pool, strides, pads)
    rdx = reference.avgpool2d_bwd(dy, x.shape, pool, strides, pads)
    overlaps = -(-pool[0] // strides[0]) * -(-pool[1] // strides[1])
    bound = 4 * (overlaps + 1) * U * reference.avgpool2d_bwd(np.abs(dy), x.shape, pool, strides,
                                                             pads) + 1e-30
    assert_within(dx, rdx, bound, f"avgpool2d_bwd[{isa}] c={c}")


@pytest.mark.parametrize("c", [3, 33, 100, 129])
def test_global_avgpool_channel_tails(isa, c):
    rng = np.random.default_rng(c)
    for shape in ((1, 1, 1, c), (3, 5, 4, c)):
        x = rng.standard_normal(shape).astype(np.float32)
        hw = shape[1] * shape[2]
        assert_within(P.global_avgpool2d_fwd(x), reference.global_avgpool2d_fwd(x),
                      2 * (hw + 2) * U * np.abs(x).mean(axis=(1, 2)) + 1e-30, "global_avg")
        dy = rng.standard_normal((shape[0], c)).astype(np.float32)
        assert_within(P.global_avgpool2d_bwd(dy, x.shape), reference.global_avgpool2d_bwd(dy, x.shape),
                      2 * U * np.abs(dy[:, None, None, :]) / hw, "global_avg_bwd")


@pytest.mark.parametrize("c", [70, 129])
def test_avgpool_bit_identical_across_threads(isa, threads, c):
    rng = np.random.default_rng(c)
    x = rng.standard_normal((4, 17, 13, c)).astype(np.float32)
    for pool, strides in (((2, 2), (2, 2)), ((3, 3), (1, 1)), ((2, 3), (3, 2))):
        pads = resolve_padding("same", (17, 13), pool, strides)
        out = []
        for t in (1, 2, 3):
            fastconv.set_num_threads(t)
            y = P.avgpool2d_fwd(x, pool, strides, pads)
            dy = np.linspace(-1, 1, y.size, dtype=np.float32).reshape(y.shape) * np.float32(1.1)
            out.append((y, P.avgpool2d_bwd(dy, x.shape, pool, strides, pads),
                        P.global_avgpool2d_fwd(x)))
        for other in out[1:]:
            for a, b in zip(out[0], other):
                np.testing.assert_array_equal(a, b)
