"""Strided convolutions through space-to-depth + Winograd (conv/conv2d_s2d.cpp): a stride-s
convolution whose kernel, cut into s x s blocks, is 3x3 (AlexNet's 11x11 stride 4, 5x5 or 6x6
stride 2, 7..9 stride 3) runs as the stride-1 'valid' 3x3 convolution of the image cut into
blocks of s*s*C channels, on the Winograd path.

Checked on every ISA: bit for bit against the Winograd path run on the same blocked image and
kernel built here in NumPy (so the blocking is exactly the documented one, padding and edges
included), against the float64 reference within the Winograd rounding bound of the blocked
problem, for 1/2/3 threads, and which layers auto sends there.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastconv
from fastconv import _core, ops, reference
from fastconv._geometry import conv_output_hw, resolve_padding
from assertions import assert_within
from _wino_cases import rand, winograd_bound

ALGOS = {"winograd": 2, "winograd4": 4}  # name -> output tile, on every ISA



def blocked(x, w, s, pads):
    """The blocked image X (N, OH+2, OW+2, s*s*C) and kernel W (3, 3, s*s*C, F) of
    conv2d_s2d.cpp: X[n, i, j, (p s + q) C + c] = x_padded[n, i s + p, j s + q, c]."""
    n, h, wd, c = x.shape
    kh, kw, _, f = w.shape
    (pt, pb), (pl, pr) = pads
    oh, ow = conv_output_hw((h, wd), (kh, kw), (s, s), pads)
    bh, bw = oh + 2, ow + 2
    xp = np.zeros((n, bh * s, bw * s, c), x.dtype)
    rows, cols = min(h, bh * s - pt), min(wd, bw * s - pl)
    xp[:, pt:pt + rows, pl:pl + cols] = x[:, :rows, :cols]
    xb = xp.reshape(n, bh, s, bw, s, c).transpose(0, 1, 3, 2, 4, 5).reshape(n, bh, bw, s * s * c)
    wp = np.zeros((3 * s, 3 * s, c, f), w.dtype)
    wp[:kh, :kw] = w
    wb = wp.reshape(3, s, 3, s, c, f).transpose(0, 2, 1, 3, 4, 5).reshape(3, 3, s * s * c, f)
    return xb, wb


CASES = [
    # x (N, H, W, C), (KH, KW, F), stride, padding
    ((2, 27, 27, 3), (11, 11, 8), 4, "valid"),        # AlexNet's first layer, small
    ((1, 30, 26, 3), (11, 9, 17), 4, "same"),         # non-square, odd F
    ((3, 13, 12, 2), (5, 5, 16), 2, "valid"),
    ((2, 11, 14, 5), (6, 5, 33), 2, "same"),          # even kernel: no zero taps in one axis
    ((1, 9, 9, 1), (5, 6, 7), 2, ((2, 1), (0, 3))),   # explicit asymmetric pads, one channel
    ((2, 20, 17, 3), (7, 9, 12), 3, "same"),
    ((1, 12, 12, 4), (9, 9, 40), 3, "valid"),         # the kernel barely fits: 2x2 outputs
    ((1, 4, 5, 3), (5, 5, 9), 2, "same"),             # input smaller than the kernel
]


def _case(rng, case):
    x_shape, (kh, kw, f), s, padding = case
    x = rand(rng, x_shape)
    w = (rng.standard_normal((kh, kw, x_shape[3], f)) / np.sqrt(kh * kw * x_shape[3]))
    b = rand(rng, (f,))
    pads = resolve_padding(padding, x_shape[1:3], (kh, kw), (s, s), (1, 1), "test")
    return x, w.astype(np.float32), b, s, padding, pads


@pytest.mark.parametrize("name", ALGOS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}-s{c[2]}")
def test_equals_winograd_on_the_blocked_image_and_matches_reference(isa, algo, rng, name, case):
    algo(name)
    x, w, b, s, padding, pads = _case(rng, case)
    y = ops.conv2d(x, w, b, strides=s, padding=padding, activation="relu")
    xb, wb = blocked(x, w, s, pads)
    yb = ops.conv2d(xb, wb, b, padding="valid", activation="relu")
    assert y.shape == yb.shape
    np.testing.assert_array_equal(y, yb, err_msg=f"[{isa}] {case}: not the blocked Winograd")
    expected = reference.conv2d(x, w, b, strides=s, padding=padding, activation="relu")
    bound = winograd_bound(np.abs(xb), np.abs(wb), ((0, 0), (0, 0)), y.shape[1:3],
                           np.abs(b), m=ALGOS[name])
    assert_within(y, expected, bound, f"{name} [{isa}] {case}")


@st.composite
def s2d_configs(draw):
    """Strides 2..4 with every kernel size whose blocked kernel is 3x3 (2s+1 .. 3s, either
    axis), C 1..6, F around the SIMD widths, batch 1..3, small images (smaller than the kernel
    with enough padding), 'valid' / 'same' / explicit asymmetric pads up to the kernel size."""
    s = draw(st.integers(2, 4))
    kh, kw = draw(st.integers(2 * s + 1, 3 * s)), draw(st.integers(2 * s + 1, 3 * s))
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 6))
    f = draw(st.one_of(st.integers(1, 40), st.sampled_from([8, 16, 17, 32, 33])))
    mode = draw(st.sampled_from(["valid", "same", "explicit"]))
    if mode == "explicit":
        pads = ((draw(st.integers(0, kh - 1)), draw(st.integers(0, kh - 1))),
                (draw(st.integers(0, kw - 1)), draw(st.integers(0, kw - 1))))
        h = draw(st.integers(max(1, kh - sum(pads[0])), 3 * kh))
        w = draw(st.integers(max(1, kw - sum(pads[1])), 3 * kw))
        padding = pads
    elif mode == "valid":
        h, w = draw(st.integers(kh, 3 * kh)), draw(st.integers(kw, 3 * kw))
        padding = "valid"
    else:
        h, w = draw(st.integers(1, 3 * kh)), draw(st.integers(1, 3 * kw))
        padding = "same"
    return (n, h, w, c), (kh, kw, f), s, padding


@pytest.mark.parametrize("name", ALGOS)
@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cfg=s2d_configs(), seed=st.integers(0, 2**31))
def test_random_shapes_equal_the_blocked_winograd(isa, algo, name, cfg, seed):
    algo(name)
    x, w, b, s, padding, pads = _case(np.random.default_rng(seed), cfg)
    y = ops.conv2d(x, w, b, strides=s, padding=padding)
    xb, wb = blocked(x, w, s, pads)
    np.testing.assert_array_equal(y, ops.conv2d(xb, wb, b, padding="valid"),
                                  err_msg=f"[{isa}] {name} {cfg}")
    expected = reference.conv2d(x, w, b, strides=s, padding=padding)
    bound = winograd_bound(np.abs(xb), np.abs(wb), ((0, 0), (0, 0)), y.shape[1:3], np.abs(b),
                           m=ALGOS[name])
    assert_within(y, expected, bound, f"{name} [{isa}] {cfg}")


def test_direct_is_unchanged(isa, algo, rng):
    # Under "direct" the strided layer keeps the indirect GEMM: its sums run tap by tap, so the
    # result is within the direct bound and differs from the blocked Winograd result.
    x, w, b, s, padding, pads = _case(rng, CASES[0])
    algo("direct")
    y = ops.conv2d(x, w, b, strides=s, padding=padding)
    algo("winograd")
    assert not np.array_equal(y, ops.conv2d(x, w, b, strides=s, padding=padding))
    expected = reference.conv2d(x, w, b, strides=s, padding=padding)
    mag = reference.conv2d(np.abs(x), np.abs(w), np.abs(b), strides=s, padding=padding)
    assert_within(y, expected, 2 * (11 * 11 * 3 + 2) * 2.0**-24 * mag + 1e-30, f"direct [{isa}]")


@pytest.mark.parametrize("name", ALGOS)
def test_bit_identical_across_thread_counts(isa, algo, threads, name):
    algo(name)
    rng = np.random.default_rng(5)
    x, w, b = rand(rng, (3, 63, 59, 3)), rand(rng, (11, 11, 3, 40)), rand(rng, (40,))
    results = []
    for nt in (1, 2, 3):
        fastconv.set_num_threads(nt)
        results.append(ops.conv2d(x, w, b, strides=4, padding="same", activation="relu"))
    for nt, y in zip((2, 3), results[1:]):
        np.testing.assert_array_equal(results[0], y, err_msg=f"1 vs {nt} threads [{isa}]")


def test_large_batch_goes_through_in_groups_with_the_same_bits(isa, algo):
    # The blocked images are built in groups of at most 8 MB (13 of AlexNet's 0.62 MB): 14 images
    # take two groups, and every image's result is the one it gets in a batch of its own kind.
    algo("winograd")
    rng = np.random.default_rng(8)
    x, w = rand(rng, (14, 227, 227, 3)), rand(rng, (11, 11, 3, 16)) / 19.0
    y = ops.conv2d(x, w, strides=4)
    np.testing.assert_array_equal(y[:7], ops.conv2d(x[:7], w, strides=4))
    np.testing.assert_array_equal(y[7:], ops.conv2d(x[7:], w, strides=4))


def test_auto_takes_it_for_alexnet_first_layer(isa, algo):
    # AlexNet's 227x227x3 -> 96 11x11 stride 4 at batch 2: 2 x 14 x 14 4x4 tiles of a 57x57x48
    # blocked image, enough to pay for the transforms, so auto runs the blocked Winograd with
    # the tile the 3x3 rules give that problem (F(4x4) on every ISA) -- not the direct path, and
    # the result is that of the explicit blocked run.
    rng = np.random.default_rng(9)
    x, w = rand(rng, (2, 227, 227, 3)), rand(rng, (11, 11, 3, 96)) / 19.0
    algo("auto")
    y = ops.conv2d(x, w, strides=4)
    xb, wb = blocked(x, w, 4, ((0, 0), (0, 0)))
    assert xb.shape == (2, 57, 57, 48)
    np.testing.assert_array_equal(y, ops.conv2d(xb, wb))
    algo("winograd4")
    np.testing.assert_array_equal(y, ops.conv2d(x, w, strides=4))
    # A small strided layer (few tiles) and a stem whose blocked kernel is not 3x3 (7x7 stride
    # 2 -> 4x4) stay on the direct path under auto.
    algo("direct")
    small = rand(rng, (1, 23, 23, 3))
    stem = rand(rng, (1, 40, 40, 3)), rand(rng, (7, 7, 3, 16))
    want = ops.conv2d(small, w, strides=4), ops.conv2d(*stem, strides=2, padding="same")
    algo("auto")
    np.testing.assert_array_equal(ops.conv2d(small, w, strides=4), want[0])
    np.testing.assert_array_equal(ops.conv2d(*stem, strides=2, padding="same"), want[1])


def test_nan_reaches_the_outputs_that_read_it(isa, algo):
    # A NaN in x reaches every output whose receptive field holds it (Winograd also spreads it
    # to the rest of those outputs' tiles), and never another image of the batch.
    algo("winograd")
    rng = np.random.default_rng(2)
    x, w = rand(rng, (2, 31, 31, 3)), rand(rng, (11, 11, 3, 8))
    x[1, 14, 17, 2] = np.nan
    nan = np.isnan(ops.conv2d(x, w, strides=4))
    assert not nan[0].any()
    # outputs (i, j) with 4 i <= 14 <= 4 i + 10 and 4 j <= 17 <= 4 j + 10
    assert nan[1, 1:4, 2:5].all()


def test_layer_and_gradients_under_the_blocked_forward(isa, algo):
    # A Conv2D layer with strides 4 trains with the blocked forward: the loss gradient w.r.t.
    # the kernel still matches the one taken with the direct forward (the backward passes do
    # not change; only the forward's rounding does).
    from fastconv import keras
    rng = np.random.default_rng(4)
    x = rand(rng, (2, 27, 27, 3))
    grads = {}
    for name in ("direct", "winograd"):
        algo(name)
        fastconv.random.set_seed(0)
        layer = keras.layers.Conv2D(8, 11, strides=4, activation="relu")
        with fastconv.GradientTape() as tape:
            loss = fastconv.reduce_sum(layer(x) ** 2)
        grads[name] = tape.gradient(loss, layer.kernel).numpy()
    scale = np.abs(grads["direct"]).max()
    np.testing.assert_allclose(grads["winograd"], grads["direct"], rtol=0, atol=1e-4 * scale)
    assert _core.get_conv_algo() == "winograd"
