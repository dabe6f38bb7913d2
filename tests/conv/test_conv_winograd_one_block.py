"""Winograd forward convolution with every tile in one block (batch-1 layers, small images):
conv2d_winograd.cpp then transforms the kernel per panel of filters inside the GEMM loop
instead of building U for all filters up front. An image's output tiles do not depend on the
other images of the batch, and both ways run the same transforms and microkernel calls, so a
batch-1 call (one block) must give, bit for bit, that image's rows of a large batch (several
blocks), on every ISA, for F(2x2, 3x3) and F(4x4, 3x3), and for any thread count."""

from __future__ import annotations

import numpy as np
import pytest

import fastconv
from fastconv import ops, reference
from _wino_cases import rand, winograd_bound
from assertions import assert_within

# (image H, W, C), filters F, pads: the lab CNN's batch-1 layers; a partial last panel of
# filters (F % 16 and F % 32 != 0); more channels than one depth chunk (C = 300); a 3x3 image
# with a single tile; asymmetric and zero padding; odd channel counts.
CASES = [
    ((14, 14, 32), 64, ((1, 1), (1, 1))),
    ((7, 7, 64), 128, ((1, 1), (1, 1))),
    ((9, 11, 17), 40, ((0, 0), (0, 0))),
    ((5, 6, 33), 80, ((2, 0), (1, 2))),
    ((4, 4, 300), 20, ((1, 1), (1, 1))),
    ((3, 3, 8), 200, ((1, 1), (1, 1))),
    ((6, 5, 1), 7, ((1, 1), (0, 1))),
]
# A batch large enough that its tiles need several blocks whatever the ISA's block size.
BATCH = 128


@pytest.mark.parametrize("name", ["winograd", "winograd4"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}x{c[1]}" if len(c) == 3 else None)
def test_batch_1_equals_its_rows_of_a_large_batch(isa, algo, name, case):
    algo(name)
    hwc, f, pads = case
    rng = np.random.default_rng(hwc[2] * 1000 + f)
    x = rand(rng, (BATCH,) + hwc)
    w, b = rand(rng, (3, 3, hwc[2], f)), rand(rng, (f,))
    args = ((1, 1), pads, (1, 1))
    y = ops.conv2d_fwd(x, w, b, *args, relu=True)
    for i in (0, 1, BATCH // 2, BATCH - 1):
        y1 = ops.conv2d_fwd(x[i:i + 1], w, b, *args, relu=True)
        np.testing.assert_array_equal(y1[0], y[i], err_msg=f"{name} image {i} [{isa}]")
    expected = reference.conv2d_fwd(x[:2], w, b, *args, relu=True)
    bound = winograd_bound(np.abs(x[:2]), np.abs(w), pads, expected.shape[1:3], np.abs(b),
                           m=2 if name == "winograd" else 4)
    assert_within(y[:2], expected, bound, f"{name} {case} [{isa}]")


# Jobs large enough for threads to share the panels (>= 1.6e7 flops), an odd panel count.
SPLIT_CASES = [((7, 7, 256), 256, ((1, 1), (1, 1))), ((8, 8, 160), 224, ((1, 0), (0, 1)))]


@pytest.mark.parametrize("name", ["winograd", "winograd4"])
@pytest.mark.parametrize("case", CASES[:5] + SPLIT_CASES,
                         ids=lambda c: f"{c[0]}x{c[1]}" if len(c) == 3 else None)
def test_one_block_bit_identical_across_thread_counts(isa, algo, threads, name, case):
    # Threads take whole panels of filters; each panel's transform, products and outputs are
    # computed by one of them in a fixed order.
    algo(name)
    hwc, f, pads = case
    rng = np.random.default_rng(7)
    x, w = rand(rng, (1,) + hwc), rand(rng, (3, 3, hwc[2], f))
    args = ((1, 1), pads, (1, 1))
    results = []
    for nt in (1, 2, 3):
        fastconv.set_num_threads(nt)
        results.append(ops.conv2d_fwd(x, w, None, *args))
    for nt, y in zip((2, 3), results[1:]):
        np.testing.assert_array_equal(y, results[0], err_msg=f"1 vs {nt} threads [{isa}]")


def test_kernel_transform_is_exact_on_halves(isa, algo):
    # U = G g G^T with G's factors 1/2 applied last: kernels of small integers give U in
    # quarters, exactly, so a batch-1 convolution of small integers is exact.
    algo("winograd")
    rng = np.random.default_rng(5)
    x = rng.integers(-3, 4, (1, 7, 7, 24)).astype(np.float32)
    w = rng.integers(-3, 4, (3, 3, 24, 40)).astype(np.float32)
    y = ops.conv2d(x, w, padding="same")
    np.testing.assert_array_equal(y, reference.conv2d(x, w, padding="same"))
