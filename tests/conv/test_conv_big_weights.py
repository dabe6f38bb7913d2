"""Convolutions whose packed weights exceed the 1 MiB that the forward path keeps in L2 (ResNet's
late stages, e.g. 3x3x512x512 at 7x7): the indirect GEMM then runs tasks of a run of pixel tiles
against one weight panel, and stride-1 backward-data packs its panels straight from the flipped
kernel; with few pixels (batch 1) and weights that fit, the panels are split into groups so
that two threads share the work. The small hypothesis shapes of test_conv2d.py reach none of
these; here: the float64
reference on every ISA (direct algorithm forced, so Winograd does not take the 3x3 cases), with
filter tails (F not a multiple of 12/16/32), padding, stride 2, batch 1 and several runs of
tiles; and bit identity for 1, 2 and 3 threads."""

from __future__ import annotations

import numpy as np
import pytest

import fastconv
from fastconv import reference
from fastconv.ops import conv as C
from assertions import assert_within

U = 2.0**-24

CASES = [
    # (N, H, W, C), (KH, KW, F), strides, pads            K*F floats (> 262144 = 1 MiB)
    ((1, 7, 7, 130), (3, 3, 300), (1, 1), ((1, 1), (1, 1))),   # 351000, F tail 12, 5 tiles
    ((2, 9, 6, 75), (3, 3, 417), (2, 2), ((0, 1), (1, 1))),    # 281475, stride 2
    ((3, 14, 13, 129), (1, 1, 2100), (1, 1), ((0, 0), (0, 0))),  # 270900, pointwise, 46 tiles
    ((1, 20, 20, 40), (5, 5, 270), (1, 1), ((2, 2), (2, 2))),  # 270000, 34 tiles: 2 runs
    # Weights that fit, but too few pixels for two runs of 8 tiles: the panels are split.
    ((1, 5, 5, 64), (3, 3, 200), (1, 1), ((1, 1), (1, 1))),    # 3 tiles, 7 panels in 4 groups
    ((1, 9, 9, 33), (1, 1, 1000), (1, 1), ((0, 0), (0, 0))),   # 7 tiles (pointwise: GEMM)
    # Pointwise with weights beyond L2 and few pixels: the indirect GEMM's panel tasks.
    ((1, 9, 9, 300), (1, 1, 1000), (1, 1), ((0, 0), (0, 0))),  # 300000
]


@pytest.fixture
def direct_algo(algo):
    algo("direct")


def _data(rng, case):
    (n, h, w, c), (kh, kw, f), strides, pads = case
    x = rng.standard_normal((n, h, w, c)).astype(np.float32)
    wt = (rng.standard_normal((kh, kw, c, f)) / np.sqrt(kh * kw * c)).astype(np.float32)
    oh = (h + sum(pads[0]) - kh) // strides[0] + 1
    ow = (w + sum(pads[1]) - kw) // strides[1] + 1
    dy = rng.standard_normal((n, oh, ow, f)).astype(np.float32)
    return x, wt, dy


@pytest.mark.parametrize("case", CASES, ids=lambda c: "x".join(map(str, c[0] + c[1])))
def test_forward_matches_reference(isa, rng, direct_algo, case):
    (n, h, w, c), (kh, kw, f), strides, pads = case
    x, wt, _ = _data(rng, case)
    b = rng.standard_normal(f).astype(np.float32)
    y = C.conv2d_fwd(x, wt, b, strides, pads, relu=True)
    ref = reference.conv2d_fwd(x, wt, b, strides, pads, relu=True)
    mag = reference.conv2d_fwd(np.abs(x), np.abs(wt), np.abs(b), strides, pads)
    k = kh * kw * c
    assert y.shape == ref.shape
    assert_within(y, ref, 2 * k * U * mag + 1e-30, f"y[{isa}] {case}")


@pytest.mark.parametrize("case", [c for c in CASES if c[2] == (1, 1)],
                         ids=lambda c: "x".join(map(str, c[0] + c[1])))
def test_backward_data_matches_reference(isa, rng, direct_algo, case):
    (n, h, w, c), (kh, kw, f), strides, pads = case
    x, wt, dy = _data(rng, case)
    dx = C.conv2d_bwd_data(dy, wt, x.shape, strides, pads)
    ref = reference.conv2d_bwd_data(dy, wt, x.shape, strides, pads)
    mag = reference.conv2d_bwd_data(np.abs(dy), np.abs(wt), x.shape, strides, pads)
    assert_within(dx, ref, 2 * kh * kw * f * U * mag + 1e-30, f"dx[{isa}] {case}")


@pytest.mark.parametrize("name", ["direct", "auto"])
def test_bit_identical_for_any_thread_count(isa, threads, rng, algo, name):
    algo(name)
    for case in (((2, 14, 14, 130), (3, 3, 300), (1, 1), ((1, 1), (1, 1))), CASES[4]):
        x, wt, dy = _data(rng, case)
        out = []
        for t in (1, 2, 3):
            fastconv.set_num_threads(t)
            out.append((C.conv2d_fwd(x, wt, None, (1, 1), case[3]),
                        C.conv2d_bwd_data(dy, wt, x.shape, (1, 1), case[3])))
        for y, dx in out[1:]:
            assert np.array_equal(y, out[0][0]) and np.array_equal(dx, out[0][1])
