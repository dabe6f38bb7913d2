"""Winograd F(4x4, 3x3) forward convolution (and the stride-1 backward-data pass that runs on it)
against the float64 reference, on every ISA that has its transforms (scalar and AVX-512; AVX2
falls back to F(2x2, 3x3)), forced with _core.set_conv_algo("winograd4"); an error bound derived
from the transforms' magnitudes; bit-identical across thread counts; auto's routing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastconv
from fastconv import ops, reference
from _wino_cases import desc, rand, wino_configs
from assertions import assert_within, gemm_error_bound

SETTINGS = settings(max_examples=15, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

_BT = np.array([[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
                [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]], np.float64)
_G = np.array([[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
               [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]], np.float64)
_AT = np.array([[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0],
                [0, 1, -1, 8, -8, 1]], np.float64)


def _has_f4(isa):
    return isa != "avx2"  # the AVX2 table has no F(4x4, 3x3) transforms


def test_matrices_compute_the_correlation():
    # The test's copy of the matrices (the bound below relies on them) is the algorithm.
    rng = np.random.default_rng(0)
    d, g = rng.standard_normal((6, 6)), rng.standard_normal((3, 3))
    y = _AT @ ((_G @ g @ _G.T) * (_BT @ d @ _BT.T)) @ _AT.T
    ref = np.array([[np.sum(d[i:i + 3, j:j + 3] * g) for j in range(4)] for i in range(4)])
    np.testing.assert_allclose(y, ref, rtol=0, atol=1e-12)


def winograd4_magnitude(x_abs, w_abs, pads, out_hw):
    """|A^T| (sum_c (|G| |g| |G^T|) . (|B^T| |d| |B|)) |A| per output, with the tiling of
    conv2d_winograd.cpp for m = 4: 4x4 output tiles, 6x6 patches from (4 th - pad_top,
    4 tw - pad_left), zeros outside x."""
    n, h, w, c = x_abs.shape
    (pt, _), (pl, _) = pads
    oh, ow = out_hw
    th, tw = (oh + 3) // 4, (ow + 3) // 4
    hp, wp = 4 * th + 2, 4 * tw + 2
    xp = np.zeros((n, hp, wp, c))
    r1, c1 = min(h, hp - pt), min(w, wp - pl)
    if r1 > 0 and c1 > 0:
        xp[:, pt:r1 + pt, pl:c1 + pl] = x_abs[:, :r1, :c1]
    idx_h = 4 * np.arange(th)[:, None] + np.arange(6)[None, :]
    idx_w = 4 * np.arange(tw)[:, None] + np.arange(6)[None, :]
    patches = xp[:, idx_h[:, None, :, None], idx_w[None, :, None, :]]  # (n, th, tw, 6, 6, c)
    bt, g, at = np.abs(_BT), np.abs(_G), np.abs(_AT)
    v = np.einsum("ra,ntsabc,qb->ntsrqc", bt, patches, bt)
    u = np.einsum("ra,abcf,qb->rqcf", g, w_abs, g)
    m = np.einsum("ntsrqc,rqcf->ntsrqf", v, u)
    y = np.einsum("ir,ntsrqf,jq->ntsijf", at, m, at)
    y = y.transpose(0, 1, 3, 2, 4, 5).reshape(n, 4 * th, 4 * tw, -1)
    return y[:, :oh, :ow]


def winograd4_bound(x_abs, w_abs, pads, out_hw, bias_abs=None):
    """Rounding bound: each V element is formed in at most 3 rounded steps per 1-D pass (6 in
    all, products by 2, 4 or 5 included), U is rounded once from float64, M is a C-long product,
    each Y element takes at most 4 rounded steps per 1-D pass (8), then the bias: to first order
    |err| <= (C + 6 + 1 + 8 + 1) u W for the magnitude W above; gemm_error_bound(W, C + 16)
    allows twice that."""
    c = x_abs.shape[-1]
    wmag = winograd4_magnitude(x_abs, w_abs, pads, out_hw)
    if bias_abs is not None:
        wmag = wmag + bias_abs
    return gemm_error_bound(wmag, c + 16)


@SETTINGS
@given(cfg=wino_configs(max_hw=22, max_pad=2), bias=st.booleans(), relu=st.booleans(), seed=st.integers(0, 2**31))
def test_winograd4_fwd_matches_reference(isa, algo, cfg, bias, relu, seed):
    algo("winograd4")
    rng = np.random.default_rng(seed)
    x, w = rand(rng, cfg["x_shape"]), rand(rng, cfg["w_shape"])
    b = rand(rng, (cfg["w_shape"][3],)) if bias else None
    args = ((1, 1), cfg["pads"], (1, 1))
    y = ops.conv2d_fwd(x, w, b, *args, relu=relu)
    expected = reference.conv2d_fwd(x, w, b, *args, relu=relu)
    bound = winograd4_bound(np.abs(x), np.abs(w), cfg["pads"], expected.shape[1:3],
                            None if b is None else np.abs(b))
    if not _has_f4(isa):  # F(2x2, 3x3) ran: its bound is below this one
        bound = np.maximum(bound, gemm_error_bound(
            reference.conv2d_fwd(np.abs(x), np.abs(w), None, *args), 9 * x.shape[-1] + 16))
    assert_within(y, expected, bound, "winograd4 conv2d_fwd " + desc(cfg, isa))


@SETTINGS
@given(cfg=wino_configs(max_hw=22, max_pad=2), seed=st.integers(0, 2**31))
def test_winograd4_bwd_data_matches_reference(isa, algo, cfg, seed):
    # Stride-1 backward-data is the forward convolution of dy (padded by 2 - pad) with the
    # spatially flipped, transposed kernel (conv2d_bwd_data.cpp), for C >= 8 and pads <= 2.
    algo("winograd4")
    rng = np.random.default_rng(seed)
    w = rand(rng, cfg["w_shape"])
    args = ((1, 1), cfg["pads"], (1, 1))
    y_shape = reference.conv2d_fwd(np.zeros(cfg["x_shape"]), w, None, *args).shape
    dy = rand(rng, y_shape)
    dx = ops.conv2d_bwd_data(dy, w, cfg["x_shape"], *args)
    expected = reference.conv2d_bwd_data(dy, w, cfg["x_shape"], *args)
    absprod = reference.conv2d_bwd_data(np.abs(dy), np.abs(w), cfg["x_shape"], *args)
    bound = gemm_error_bound(absprod, 9 * cfg["w_shape"][3] + 16)
    (pt, pb), (pl, pr) = cfg["pads"]
    if max(pt, pb, pl, pr) <= 2:
        wt = np.abs(w)[::-1, ::-1].transpose(0, 1, 3, 2)
        tpads = ((2 - pt, 2 - pb), (2 - pl, 2 - pr))
        bound = bound + winograd4_bound(np.abs(dy), wt, tpads, cfg["x_shape"][1:3])
    assert_within(dx, expected, bound, "winograd4 conv2d_bwd_data " + desc(cfg, isa))


@pytest.mark.parametrize("geom", [
    # (x_shape, F, pads): several blocks of tiles, channel tails, asymmetric pads, edge tiles
    ((3, 30, 29, 40), 40, ((1, 1), (1, 1))),
    ((2, 17, 23, 33), 17, ((0, 2), (1, 0))),
])
def test_winograd4_bit_identical_across_thread_counts(isa, algo, threads, geom):
    algo("winograd4")
    x_shape, f, pads = geom
    rng = np.random.default_rng(11)
    x, w, b = rand(rng, x_shape), rand(rng, (3, 3, x_shape[3], f)), rand(rng, (f,))
    args = ((1, 1), pads, (1, 1))
    results = []
    for nt in (1, 2, 3):
        fastconv.set_num_threads(nt)
        y = ops.conv2d_fwd(x, w, b, *args, relu=True)
        dx = ops.conv2d_bwd_data(np.sin(y), w, x_shape, *args)
        results.append((y, dx))
    for nt, r in zip((2, 3), results[1:]):
        for name, a, b_ in zip(("y", "dx"), results[0], r):
            np.testing.assert_array_equal(a, b_, err_msg=f"{name}: 1 vs {nt} threads [{isa}]")


def test_winograd4_is_not_f2_and_nan_propagates(isa, algo, rng):
    # Where the ISA has it, "winograd4" really runs a different algorithm from "winograd"
    # (results differ in the last bits). A NaN in x at (5, 6) with 'same' padding lies in the
    # third row and fourth column of one 6x6 patch, which B^T spreads to five of its six rows
    # and columns and A^T to every output of the 4x4 tile [4:8, 4:8] and nowhere else. (F(2x2)
    # spreads it within the same outputs, less uniformly; direct: the 3x3 window [4:7, 5:8].)
    x, w = rand(rng, (1, 12, 12, 16)), rand(rng, (3, 3, 16, 16))
    algo("winograd")
    y2 = ops.conv2d(x, w, padding="same")
    algo("winograd4")
    y4 = ops.conv2d(x, w, padding="same")
    assert np.array_equal(y2, y4) != _has_f4(isa)
    x[0, 5, 6, 3] = np.nan
    nan = np.isnan(ops.conv2d(x, w, padding="same", activation="relu")[0])
    tile = np.zeros((12, 12, 16), bool)
    tile[4:8, 4:8] = True
    assert nan[4:7, 5:8].all() and not (nan & ~tile).any()
    if _has_f4(isa):
        np.testing.assert_array_equal(nan, tile)


def test_auto_routing_takes_f4_where_measured_faster(isa, algo, rng):
    def run(name, x, w):
        algo(name)
        return ops.conv2d(x, w, padding="same")

    # The lab's 7x7x64 -> 128 at batch 100 (400 4x4 tiles, C F = 8192): F(4x4) on AVX-512,
    # F(2x2) where the GEMM kernel cannot read the transformed input in place.
    x, w = rand(rng, (100, 7, 7, 64)), rand(rng, (3, 3, 64, 128))
    want = "winograd4" if isa == "avx512f" else "winograd"
    np.testing.assert_array_equal(run("auto", x, w), run(want, x, w))
    # Many channels for the tiles (14x14x256 -> 256 at batch 8: 128 tiles, C F = 65536): F(2x2).
    x, w = rand(rng, (8, 14, 14, 256)), rand(rng, (3, 3, 256, 256))
    np.testing.assert_array_equal(run("auto", x, w), run("winograd", x, w))
