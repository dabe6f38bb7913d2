"""Forward convolutions with few output pixels (batch-1 inference): up to 20 tiles of pixels
the indirect GEMM reads the HWIO kernel in place instead of packing it (when F is a multiple of
the microkernel's panel width), and a last tile of fewer pixels runs a shorter microkernel.
Checked on every ISA against the float64 reference, and bit for bit against the same image
inside a larger batch (more tiles: packed weights, full tiles), which must agree exactly since
each pixel's sum runs in the same order whichever path computes it; and for 1, 2 and 3 threads
(several threads run such small jobs on the task pool, common/task_pool.h).
"""

from __future__ import annotations

import numpy as np
import pytest

import fastconv
from fastconv import reference
from fastconv.ops import conv as C
from assertions import assert_within

U = 2.0**-24

CASES = [
    # (H, W, C), (KH, KW, F), strides, pads            pixels at batch 1
    ((7, 7, 64), (3, 3, 128), (1, 1), ((1, 1), (1, 1))),   # 49: 4 tiles of 12 + 1 (AVX-512)
    ((5, 5, 16), (3, 3, 32), (1, 1), ((1, 1), (1, 1))),    # 25
    ((6, 6, 24), (3, 3, 96), (1, 1), ((0, 0), (0, 0))),    # 16, valid
    ((9, 8, 3), (5, 5, 64), (1, 1), ((2, 2), (2, 2))),     # 72, few channels: merged rows
    ((11, 9, 20), (3, 3, 48), (2, 2), ((1, 1), (0, 1))),   # 30, stride 2; F 48: packed on AVX-512
    ((14, 14, 32), (3, 3, 64), (1, 1), ((1, 1), (1, 1))),  # 196: 17 tiles (the lab's 2nd conv)
    ((4, 4, 40), (2, 2, 40), (1, 1), ((0, 1), (0, 1))),    # 16, F 40: packed except scalar
]


@pytest.fixture
def direct_algo(algo):
    algo("direct")


def _data(rng, case, n):
    (h, w, c), (kh, kw, f), _, _ = case
    x = rng.standard_normal((n, h, w, c)).astype(np.float32)
    wt = (rng.standard_normal((kh, kw, c, f)) / np.sqrt(kh * kw * c)).astype(np.float32)
    b = rng.standard_normal(f).astype(np.float32)
    return x, wt, b


@pytest.mark.parametrize("case", CASES, ids=lambda c: "x".join(map(str, c[0] + c[1])))
def test_batch1_matches_reference_and_the_batched_result(isa, rng, direct_algo, case):
    (_, _, c), (kh, kw, _), strides, pads = case
    x, wt, b = _data(rng, case, 40)
    y1 = C.conv2d_fwd(x[:1], wt, b, strides, pads, relu=True)
    ref = reference.conv2d_fwd(x[:1], wt, b, strides, pads, relu=True)
    mag = reference.conv2d_fwd(np.abs(x[:1]), np.abs(wt), np.abs(b), strides, pads)
    assert y1.shape == ref.shape
    assert_within(y1, ref, 2 * kh * kw * c * U * mag + 1e-30, f"y[{isa}] {case}")
    # batch 40: dozens of tiles, packed panels, image 0 shares its last tile with image 1
    y40 = C.conv2d_fwd(x, wt, b, strides, pads, relu=True)
    assert np.array_equal(y40[:1], y1), f"{isa} {case}: batch-1 and batched results differ"
    for n in (2, 3):  # 2 and 3 images: still few tiles, other tail lengths
        assert np.array_equal(C.conv2d_fwd(x[:n], wt, b, strides, pads, relu=True), y40[:n])


# weights beyond 1 MiB at batch 1: one panel packed per task (and the task pool, like the
# in-place cases, when several threads run)
BIG = ((7, 7, 130), (3, 3, 300), (1, 1), ((1, 1), (1, 1)))


def test_bit_identical_for_any_thread_count(isa, threads, rng, direct_algo):
    for case in CASES[:2] + CASES[5:6] + [BIG]:
        x, wt, b = _data(rng, case, 1)
        out = []
        for t in (1, 2, 3):
            fastconv.set_num_threads(t)
            out.append(C.conv2d_fwd(x, wt, b, case[2], case[3]))
        assert all(np.array_equal(y, out[0]) for y in out[1:])
