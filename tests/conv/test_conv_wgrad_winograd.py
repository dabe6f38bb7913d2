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


def _tiles(x, dy, pads):
    """The tiling of the Winograd path: per 2x2 tile of outputs (zero dy past the edge), the
    4x4 input patch from (2 th - pad_top, 2 tw - pad_left), zeros outside x.
    -> patches (N, TH, TW, 4, 4, C), dy tiles (N, TH, TW, 2, 2, F)."""
    n, h, w, c = x.shape
    _, oh, ow, f = dy.shape
    (pt, _), (pl, _) = pads
    th, tw = (oh + 1) // 2, (ow + 1) // 2
    hp, wp = 2 * th + 2, 2 * tw + 2
    xp = np.zeros((n, hp, wp, c))
    r0, r1 = max(0, pt), min(hp, pt + h)  # padded rows that hold x rows r - pt
    c0, c1 = max(0, pl), min(wp, pl + w)
    if r1 > r0 and c1 > c0:
        xp[:, r0:r1, c0:c1] = x[:, r0 - pt:r1 - pt, c0 - pl:c1 - pl]
    idx_h = 2 * np.arange(th)[:, None] + np.arange(4)[None, :]
    idx_w = 2 * np.arange(tw)[:, None] + np.arange(4)[None, :]
    patches = xp[:, idx_h[:, None, :, None], idx_w[None, :, None, :]]
    dyp = np.zeros((n, 2 * th, 2 * tw, f))
    dyp[:, :oh, :ow] = dy
    etiles = dyp.reshape(n, th, 2, tw, 2, f).transpose(0, 1, 3, 2, 4, 5)
    return patches, etiles


def winograd_wgrad(x, dy, pads, mats=(_BT, _A, _GT)):
    """dW by the F(3x3, 2x2) formulation in float64 (with |.| of everything: the magnitude
    the rounding errors scale with)."""
    bt, a, gt = mats
    patches, etiles = _tiles(x, dy, pads)
    v = np.einsum("ra,ntsabc,qb->ntsrqc", bt, patches, bt)
    e = np.einsum("ra,ntsabf,qb->ntsrqf", a, etiles, a)
    m = np.einsum("ntsrqc,ntsrqf->rqcf", v, e)
    return np.einsum("kr,rqcf,lq->klcf", gt, m, gt)


def wgrad_bound(x, dy, pads):
    """Rounding bound of the Winograd path. Each V element sums 4 values in 2 rounded steps, each
    E element at most 4 values in 2 steps, each product rounds once, the T-long sum over tiles
    (blocks, chunk partials, any tree) adds at most T - 1 roundings, and each dW element sums 9 M
    values in 2 + 2 rounded steps (the halvings are exact): to first order
    |err| <= (2 + 2 + 1 + (T - 1) + 4) u W = (T + 8) u W, with W = |G^T| (sum_t (|A||e||A^T|) .
    (|B^T||d||B|)) |G|; gemm_error_bound(W, T + 8) is twice that. For full tiles and inputs of
    equal magnitude W is (16/9)^2 = 3.2x the direct path's sum |x||dy| per tap while T is M/4,
    so for large M this bound is ~0.8x the direct path's (M + 2) u sum |x||dy| x 2."""
    n, _, _, _ = x.shape
    _, oh, ow, _ = dy.shape
    t = n * ((oh + 1) // 2) * ((ow + 1) // 2)
    mag = winograd_wgrad(np.abs(x), np.abs(dy), pads, (np.abs(_BT), np.abs(_A), np.abs(_GT)))
    return gemm_error_bound(mag, t + 8)


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
        np.testing.assert_allclose(winograd_wgrad(x, dy, pads), expected, rtol=0, atol=1e-12)


@SETTINGS
@given(cfg=wgrad_configs(), seed=st.integers(0, 2**31))
def test_winograd_bwd_filter_matches_reference(isa, algo, cfg, seed):
    algo("winograd")
    x, dy = _inputs(cfg, seed)
    dw, db = ops.conv2d_bwd_filter(x, dy, cfg["w_shape"], (1, 1), cfg["pads"])
    edw, edb = reference.conv2d_bwd_filter(x, dy, cfg["w_shape"], (1, 1), cfg["pads"])
    assert_within(dw, edw, wgrad_bound(x, dy, cfg["pads"]), "winograd dw " + _desc(cfg, isa))
    assert_within(db, edb, db_bound(dy), "winograd db " + _desc(cfg, isa))


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
    bdw = np.maximum(bdw, wgrad_bound(x, dy, cfg["pads"]))
    bdb = np.maximum(bdb, db_bound(dy))
    assert_within(dw, edw, bdw, "auto dw " + _desc(cfg, isa))
    assert_within(db, edb, bdb, "auto db " + _desc(cfg, isa))


@pytest.mark.parametrize("geom", [
    # (x_shape, F, pads): several chunks of tiles (>= 512 tiles), blocks within a chunk, channel
    # and filter tails, odd outputs, asymmetric pads, both GEMM orientations (F < C transposes)
    ((3, 28, 28, 13), 40, ((1, 1), (1, 1))),
    ((8, 17, 33, 33), 17, ((0, 2), (1, 0))),
    ((2, 40, 40, 16), 24, ((0, 0), (0, 0))),
])
def test_winograd_bwd_filter_bit_identical_across_thread_counts(isa, algo, threads, geom):
    algo("winograd")
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
    assert_within(results[0][0], edw, wgrad_bound(x, dy, pads), f"dw {geom} [{isa}]")
    assert_within(results[0][1], edb, db_bound(dy), f"db {geom} [{isa}]")


def test_winograd_bwd_filter_exact_on_small_integers(isa, algo):
    # Small integers: every transform value is an integer or a half / quarter of one and every
    # partial sum stays far below 2^24, so the result equals the reference exactly.
    algo("winograd")
    rng = np.random.default_rng(7)
    for x_shape, f, padding in [((2, 9, 7, 19), 21, "same"), ((3, 8, 11, 5), 34, "valid"),
                                ((1, 3, 3, 1), 1, "same")]:
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

    x, dy = _rand(rng, (8, 14, 14, 32)), _rand(rng, (8, 14, 14, 64))
    assert same(run("auto", x, dy, 32, 64), run("winograd", x, dy, 32, 64))
    assert not same(run("direct", x, dy, 32, 64), run("winograd", x, dy, 32, 64))
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
    assert same(run("auto", x, dy, 6, 8), run("winograd", x, dy, 6, 8))
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
    algo("winograd")
    for c, f in [(150, 9), (9, 150)]:
        x, dy = _rand(rng, (2, 6, 5, c)), _rand(rng, (2, 6, 5, f))
        pads = ((1, 1), (1, 1))
        dw, db = ops.conv2d_bwd_filter(x, dy, (3, 3, c, f), (1, 1), pads)
        edw, edb = reference.conv2d_bwd_filter(x, dy, (3, 3, c, f), (1, 1), pads)
        assert_within(dw, edw, wgrad_bound(x, dy, pads), f"dw C={c} F={f} [{isa}]")
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
