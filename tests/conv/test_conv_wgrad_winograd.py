"""Winograd F(3x3, 2x2) backward-filter (src/cpp/conv/conv2d_bwd_filter_winograd.cpp) against the
float64 reference on every ISA, forced through _core.set_conv_algo and under 'auto'; a derived
rounding bound; bit-identical results for 1, 2 and 3 threads; exact on small integers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastconv
from fastconv import _core, ops, reference
from fastconv._geometry import resolve_padding
from assertions import assert_within, gemm_error_bound

SETTINGS = settings(max_examples=20, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

# The transforms of conv2d_bwd_filter_winograd.cpp (documented in winograd_wgrad_ukernel.h):
# input patches V = B^T d B (4x4), dy tiles E = A e A^T (2x2 -> 4x4), dW = G^T M G (4x4 -> 3x3).
_BT = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], np.float64)
_A = np.array([[1, 0], [1, 1], [1, -1], [0, 1]], np.float64)
_GT = np.array([[1, .5, .5, 0], [0, .5, -.5, 0], [0, .5, .5, -1]], np.float64)
# F(3x3, 4x4) (conv/winograd4_wgrad_math.h): 6x6 patches, 4x4 dy tiles -> 6x6, 6x6 -> 3x3.
_BT4 = np.array([[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
                 [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]], np.float64)
_A4 = np.array([[1, 0, 0, 0], [1, 1, 1, 1], [1, -1, 1, -1], [1, 2, 4, 8], [1, -2, 4, -8],
                [0, 0, 0, 1]], np.float64)
_GT4 = np.array([[1 / 4, -1 / 6, -1 / 6, 1 / 24, 1 / 24, 0], [0, -1 / 6, 1 / 6, 1 / 12, -1 / 12, 0],
                 [0, -1 / 6, -1 / 6, 1 / 6, 1 / 6, 1]], np.float64)
MATS = {2: (_BT, _A, _GT), 4: (_BT4, _A4, _GT4)}


def _tiles(x, dy, pads, m=2):
    """The tiling of the Winograd path: per m x m tile of outputs (zero dy past the edge), the
    (m+2) x (m+2) input patch from (m th - pad_top, m tw - pad_left), zeros outside x.
    -> patches (N, TH, TW, m+2, m+2, C), dy tiles (N, TH, TW, m, m, F)."""
    n, h, w, c = x.shape
    _, oh, ow, f = dy.shape
    (pt, _), (pl, _) = pads
    th, tw = (oh + m - 1) // m, (ow + m - 1) // m
    hp, wp = m * th + 2, m * tw + 2
    xp = np.zeros((n, hp, wp, c))
    r0, r1 = max(0, pt), min(hp, pt + h)  # padded rows that hold x rows r - pt
    c0, c1 = max(0, pl), min(wp, pl + w)
    if r1 > r0 and c1 > c0:
        xp[:, r0:r1, c0:c1] = x[:, r0 - pt:r1 - pt, c0 - pl:c1 - pl]
    idx_h = m * np.arange(th)[:, None] + np.arange(m + 2)[None, :]
    idx_w = m * np.arange(tw)[:, None] + np.arange(m + 2)[None, :]
    patches = xp[:, idx_h[:, None, :, None], idx_w[None, :, None, :]]
    dyp = np.zeros((n, m * th, m * tw, f))
    dyp[:, :oh, :ow] = dy
    etiles = dyp.reshape(n, th, m, tw, m, f).transpose(0, 1, 3, 2, 4, 5)
    return patches, etiles


def winograd_wgrad(x, dy, pads, mats=(_BT, _A, _GT), m=2):
    """dW by the F(3x3, m x m) formulation in float64 (with |.| of everything: the magnitude
    the rounding errors scale with)."""
    bt, a, gt = mats
    patches, etiles = _tiles(x, dy, pads, m)
    v = np.einsum("ra,ntsabc,qb->ntsrqc", bt, patches, bt)
    e = np.einsum("ra,ntsabf,qb->ntsrqf", a, etiles, a)
    mm = np.einsum("ntsrqc,ntsrqf->rqcf", v, e)
    return np.einsum("kr,rqcf,lq->klcf", gt, mm, gt)


def wgrad_bound(x, dy, pads, m=2):
    """Rounding bound of the Winograd path. F(3x3, 2x2): each V element sums 4 values in 2
    rounded steps, each E element at most 4 values in 2 steps, each product rounds once, the
    T-long sum over tiles (blocks, chunk partials, any tree) adds at most T - 1 roundings, and
    each dW element sums 9 M values in 2 + 2 rounded steps (the halvings are exact): to first
    order |err| <= (2 + 2 + 1 + (T - 1) + 4) u W = (T + 8) u W, with W = |G^T| (sum_t (|A||e||A^T|)
    . (|B^T||d||B|)) |G|; gemm_error_bound(W, T + 8) is twice that. For full tiles and inputs of
    equal magnitude W is (16/9)^2 = 3.2x the direct path's sum |x||dy| per tap while T is M/4,
    so for large M this bound is ~0.8x the direct path's (M + 2) u sum |x||dy| x 2.
    F(3x3, 4x4): V takes 3 rounded steps per dimension (the x5 products round), E 2, the output
    transform runs in float64 and rounds once: (6 + 4 + 1 + (T - 1) + 1) u W = (T + 11) u W, with
    the 6x6 matrices in W (entries up to 8: W is ~10x larger than F(3x3, 2x2)'s)."""
    n, _, _, _ = x.shape
    _, oh, ow, _ = dy.shape
    t = n * ((oh + m - 1) // m) * ((ow + m - 1) // m)
    mag = winograd_wgrad(np.abs(x), np.abs(dy), pads, tuple(np.abs(a) for a in MATS[m]), m)
    return gemm_error_bound(mag, t + (8 if m == 2 else 11))


def algo_bound(algo, x, dy, pads):
    """'winograd' runs F(3x3, 2x2), 'winograd4' F(3x3, 4x4) (every ISA has its transforms)."""
    return wgrad_bound(x, dy, pads, 2 if algo == "winograd" else 4)


def db_bound(dy):
    """db: per tile e00 + e01 + e10 + e11 in 2 rounded steps, then the sum over tiles."""
    m = dy.shape[0] * dy.shape[1] * dy.shape[2]
    return gemm_error_bound(np.abs(dy.astype(np.float64)).sum(axis=(0, 1, 2)), m + 2)


def direct_bound(x, dy, w_shape, pads):
    absprod, absdb = reference.conv2d_bwd_filter(np.abs(x), np.abs(dy), w_shape, (1, 1), pads)
    m = dy.shape[0] * dy.shape[1] * dy.shape[2]
    return gemm_error_bound(absprod, m), gemm_error_bound(absdb, m)


@st.composite
def wgrad_configs(draw):
    """3x3 stride 1: batch 1..4, H/W 1..20 (odd and even, smaller than the kernel with padding),
    C/F 1..40 (tails of every SIMD width; F < C takes the transposed orientation),
    'same' / 'valid' / explicit asymmetric pads."""
    n = draw(st.integers(1, 4))
    c = draw(st.one_of(st.integers(1, 40), st.sampled_from([1, 5, 12, 13, 16, 17, 32, 33, 40])))
    f = draw(st.one_of(st.integers(1, 40), st.sampled_from([1, 7, 12, 16, 31, 32, 33, 40])))
    mode = draw(st.sampled_from(["valid", "same", "explicit"]))
    if mode == "valid":
        h, w = draw(st.integers(3, 20)), draw(st.integers(3, 20))
        padding = "valid"
    elif mode == "explicit":
        pads = ((draw(st.integers(0, 3)), draw(st.integers(0, 3))),
                (draw(st.integers(0, 3)), draw(st.integers(0, 3))))
        h = draw(st.integers(max(1, 3 - pads[0][0] - pads[0][1]), 20))
        w = draw(st.integers(max(1, 3 - pads[1][0] - pads[1][1]), 20))
        padding = pads
    else:
        h, w = draw(st.integers(1, 20)), draw(st.integers(1, 20))
        padding = "same"
    pads = resolve_padding(padding, (h, w), (3, 3), (1, 1), (1, 1), "test")
    return dict(x_shape=(n, h, w, c), w_shape=(3, 3, c, f), pads=pads)


def _rand(rng, shape):
    return rng.standard_normal(shape).astype(np.float32)


def _inputs(cfg, seed):
    rng = np.random.default_rng(seed)
    x = _rand(rng, cfg["x_shape"])
    oh = cfg["x_shape"][1] + sum(cfg["pads"][0]) - 2
    ow = cfg["x_shape"][2] + sum(cfg["pads"][1]) - 2
    dy = _rand(rng, (cfg["x_shape"][0], oh, ow, cfg["w_shape"][3]))
    return x, dy


def _desc(cfg, isa):
    return f"[{isa}] x{cfg['x_shape']} w{cfg['w_shape']} p{cfg['pads']}"


def test_transform_matrices_give_the_weight_gradient(rng):
    # The formulation itself, in float64 on random data and odd sizes, against the reference.
    for x_shape, f, pads in [((2, 7, 5, 3), 4, ((1, 1), (1, 1))), ((1, 6, 9, 2), 3, ((0, 2), (1, 0)))]:
        x = rng.standard_normal(x_shape)
        oh, ow = x_shape[1] + sum(pads[0]) - 2, x_shape[2] + sum(pads[1]) - 2
        dy = rng.standard_normal((x_shape[0], oh, ow, f))
        expected, _ = reference.conv2d_bwd_filter(x, dy, (3, 3, x_shape[3], f), (1, 1), pads)
        for m in (2, 4):
            np.testing.assert_allclose(winograd_wgrad(x, dy, pads, MATS[m], m), expected, rtol=0,
                                       atol=1e-12)


@SETTINGS
@given(cfg=wgrad_configs(), seed=st.integers(0, 2**31))
def test_winograd_bwd_filter_matches_reference(isa, algo, cfg, seed):
    x, dy = _inputs(cfg, seed)
    edw, edb = reference.conv2d_bwd_filter(x, dy, cfg["w_shape"], (1, 1), cfg["pads"])
    for name in ("winograd", "winograd4"):
        algo(name)
        dw, db = ops.conv2d_bwd_filter(x, dy, cfg["w_shape"], (1, 1), cfg["pads"])
        assert_within(dw, edw, algo_bound(name, x, dy, cfg["pads"]),
                      f"{name} dw " + _desc(cfg, isa))
        assert_within(db, edb, db_bound(dy), f"{name} db " + _desc(cfg, isa))


@SETTINGS
@given(cfg=wgrad_configs(), seed=st.integers(0, 2**31))
def test_direct_bwd_filter_matches_reference(isa, algo, cfg, seed):
    # 'direct' keeps the other backward-filter paths for these shapes (auto now sends most of
    # them to Winograd, so test_conv2d.py's 3x3 stride-1 cases no longer reach them).
    algo("direct")
    x, dy = _inputs(cfg, seed)
    dw, db = ops.conv2d_bwd_filter(x, dy, cfg["w_shape"], (1, 1), cfg["pads"])
    edw, edb = reference.conv2d_bwd_filter(x, dy, cfg["w_shape"], (1, 1), cfg["pads"])
    bdw, bdb = direct_bound(x, dy, cfg["w_shape"], cfg["pads"])
    assert_within(dw, edw, bdw, "direct dw " + _desc(cfg, isa))
    assert_within(db, edb, bdb, "direct db " + _desc(cfg, isa))


@SETTINGS
@given(cfg=wgrad_configs(), seed=st.integers(0, 2**31))
def test_auto_bwd_filter_matches_reference(isa, algo, cfg, seed):
    # Under 'auto' either path may run: the bound is the larger of the two.
    algo("auto")
    x, dy = _inputs(cfg, seed)
    dw, db = ops.conv2d_bwd_filter(x, dy, cfg["w_shape"], (1, 1), cfg["pads"])
    edw, edb = reference.conv2d_bwd_filter(x, dy, cfg["w_shape"], (1, 1), cfg["pads"])
    bdw, bdb = direct_bound(x, dy, cfg["w_shape"], cfg["pads"])
    bdw = np.maximum(bdw, algo_bound("winograd4", x, dy, cfg["pads"]))
    bdb = np.maximum(bdb, db_bound(dy))
    assert_within(dw, edw, bdw, "auto dw " + _desc(cfg, isa))
    assert_within(db, edb, bdb, "auto db " + _desc(cfg, isa))


@pytest.mark.parametrize("name", ["winograd", "winograd4"])
@pytest.mark.parametrize("geom", [
    # (x_shape, F, pads): several chunks of tiles (>= 512 tiles), blocks within a chunk, channel
    # and filter tails, odd outputs, asymmetric pads, both GEMM orientations (F < C transposes)
    ((3, 28, 28, 13), 40, ((1, 1), (1, 1))),
    ((8, 17, 33, 33), 17, ((0, 2), (1, 0))),
    ((2, 40, 40, 16), 24, ((0, 0), (0, 0))),
])
def test_winograd_bwd_filter_bit_identical_across_thread_counts(isa, algo, threads, geom, name):
    algo(name)
    x_shape, f, pads = geom
    rng = np.random.default_rng(5)
    x = _rand(rng, x_shape)
    oh, ow = x_shape[1] + sum(pads[0]) - 2, x_shape[2] + sum(pads[1]) - 2
    dy = _rand(rng, (x_shape[0], oh, ow, f))
    w_shape = (3, 3, x_shape[3], f)
    results = []
    for nt in (1, 2, 3):
        fastconv.set_num_threads(nt)
        results.append(ops.conv2d_bwd_filter(x, dy, w_shape, (1, 1), pads))
    for nt, (dw, db) in zip((2, 3), results[1:]):
        np.testing.assert_array_equal(results[0][0], dw, err_msg=f"dw 1 vs {nt} threads [{isa}]")
        np.testing.assert_array_equal(results[0][1], db, err_msg=f"db 1 vs {nt} threads [{isa}]")
    edw, edb = reference.conv2d_bwd_filter(x, dy, w_shape, (1, 1), pads)
    assert_within(results[0][0], edw, algo_bound(name, x, dy, pads), f"{name} dw {geom} [{isa}]")
    assert_within(results[0][1], edb, db_bound(dy), f"db {geom} [{isa}]")


def test_winograd_bwd_filter_exact_on_small_integers(isa, algo):
    # Small integers: every V, E and product is an integer and every partial sum stays below
    # 2^24; the F(3x3, 2x2) output transform only halves, F(3x3, 4x4)'s runs in float64 and
    # rounds once to an integer-valued result: both equal the reference exactly.
    rng = np.random.default_rng(7)
    for (x_shape, f, padding), name in [(cfg, name) for name in ("winograd", "winograd4") for cfg in [((2, 9, 7, 19), 21, "same"), ((3, 8, 11, 5), 34, "valid"),
                                ((1, 3, 3, 1), 1, "same")]]:
        algo(name)
        x = rng.integers(-4, 5, x_shape).astype(np.float32)
        pads = resolve_padding(padding, x_shape[1:3], (3, 3), (1, 1), (1, 1), "test")
        oh, ow = x_shape[1] + sum(pads[0]) - 2, x_shape[2] + sum(pads[1]) - 2
        dy = rng.integers(-3, 4, (x_shape[0], oh, ow, f)).astype(np.float32)
        w_shape = (3, 3, x_shape[3], f)
        dw, db = ops.conv2d_bwd_filter(x, dy, w_shape, (1, 1), pads)
        edw, edb = reference.conv2d_bwd_filter(x, dy, w_shape, (1, 1), pads)
        np.testing.assert_array_equal(dw, edw)
        np.testing.assert_array_equal(db, edb)


def test_auto_routing(isa, algo, rng):
    # auto takes Winograd for the lab's 14x14x32->64 layer and keeps the other paths where it
    # measured slower or does not apply; bit-exact agreement with a forced choice shows which
    # path ran.
    def run(name, x, dy, c, f, strides=(1, 1), pads=((1, 1), (1, 1)), dilation=(1, 1)):
        algo(name)
        return ops.conv2d_bwd_filter(x, dy, (3, 3, c, f), strides, pads, dilation)

    def same(a, b):
        return all(np.array_equal(u, v) for u, v in zip(a, b))

    # >= 32 4x4 tiles: F(3x3, 4x4).
    x, dy = _rand(rng, (8, 14, 14, 32)), _rand(rng, (8, 14, 14, 64))
    assert same(run("auto", x, dy, 32, 64), run("winograd4", x, dy, 32, 64))
    assert not same(run("direct", x, dy, 32, 64), run("winograd", x, dy, 32, 64))
    assert not same(run("winograd4", x, dy, 32, 64), run("winograd", x, dy, 32, 64))
    # 14x14 with 64 4x4 tiles (wasting 60 of 256 slots each): F(3x3, 2x2); 7x7 with 32 4x4
    # tiles (both tilings use 49 of 64 slots): F(3x3, 4x4).
    x, dy = _rand(rng, (4, 14, 14, 32)), _rand(rng, (4, 14, 14, 64))
    assert same(run("auto", x, dy, 32, 64), run("winograd", x, dy, 32, 64))
    x, dy = _rand(rng, (8, 7, 7, 16)), _rand(rng, (8, 7, 7, 24))
    assert same(run("auto", x, dy, 16, 24), run("winograd4", x, dy, 16, 24))
    x, dy = _rand(rng, (1, 7, 7, 64)), _rand(rng, (1, 7, 7, 128))
    assert same(run("auto", x, dy, 64, 128), run("direct", x, dy, 64, 128))
    x, dy = _rand(rng, (8, 28, 28, 1)), _rand(rng, (8, 28, 28, 32))
    assert same(run("auto", x, dy, 1, 32), run("direct", x, dy, 1, 32))
    if isa != "scalar":  # C F = 512^2 (too slow for the portable kernels in a unit test)
        x, dy = _rand(rng, (2, 8, 8, 512)), _rand(rng, (2, 8, 8, 512))
        assert same(run("auto", x, dy, 512, 512), run("direct", x, dy, 512, 512))
    x, dy = _rand(rng, (8, 14, 14, 4)), _rand(rng, (8, 14, 14, 8))
    assert same(run("auto", x, dy, 4, 8), run("direct", x, dy, 4, 8))
    x, dy = _rand(rng, (8, 14, 14, 6)), _rand(rng, (8, 14, 14, 8))
    assert same(run("auto", x, dy, 6, 8), run("winograd4", x, dy, 6, 8))
    # Stride 2 and dilation 2 never take Winograd, even forced.
    x = _rand(rng, (2, 14, 14, 16))
    dy = _rand(rng, (2, 7, 7, 16))
    assert same(run("winograd", x, dy, 16, 16, strides=(2, 2), pads=((0, 1), (0, 1))),
                run("direct", x, dy, 16, 16, strides=(2, 2), pads=((0, 1), (0, 1))))
    dy = _rand(rng, (2, 10, 10, 16))
    assert same(run("winograd", x, dy, 16, 16, pads=((0, 0), (0, 0)), dilation=(2, 2)),
                run("direct", x, dy, 16, 16, pads=((0, 0), (0, 0)), dilation=(2, 2)))


def test_winograd_bwd_filter_wide_channels(isa, algo, rng):
    # C and F past several micro-panels in both orientations (F < C: the sums are transposed
    # before the output transform).
    for (c, f), name in [(cf, name) for name in ("winograd", "winograd4")
                         for cf in [(150, 9), (9, 150)]]:
        algo(name)
        x, dy = _rand(rng, (2, 6, 5, c)), _rand(rng, (2, 6, 5, f))
        pads = ((1, 1), (1, 1))
        dw, db = ops.conv2d_bwd_filter(x, dy, (3, 3, c, f), (1, 1), pads)
        edw, edb = reference.conv2d_bwd_filter(x, dy, (3, 3, c, f), (1, 1), pads)
        assert_within(dw, edw, algo_bound(name, x, dy, pads), f"{name} dw C={c} F={f} [{isa}]")
        assert_within(db, edb, db_bound(dy), f"db C={c} F={f} [{isa}]")


def test_tape_conv2d_gradient_under_winograd(isa, algo, rng):
    # The Keras-style op's weight gradient through the tape runs this path too.
    algo("winograd")
    x, w = _rand(rng, (2, 9, 8, 16)), _rand(rng, (3, 3, 16, 20))
    wv = fastconv.Variable(w)
    with fastconv.GradientTape() as tape:
        y = ops.conv2d(x, wv, padding="same")
        loss = ops.reduce_sum(ops.multiply([y, y]))
    dw = tape.gradient(loss, wv)
    y64 = reference.conv2d(x, w, padding="same")
    pads = ((1, 1), (1, 1))
    edw, _ = reference.conv2d_bwd_filter(x, 2 * y64, w.shape, (1, 1), pads)
    np.testing.assert_allclose(np.asarray(dw), edw, rtol=1e-3, atol=1e-3 * np.abs(edw).max())
