"""Shapes, transform matrices and error bounds shared by the Winograd tests (F(2x2, 3x3) and
F(4x4, 3x3))."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from fastconv._geometry import resolve_padding
from assertions import gemm_error_bound

# Output tile m -> (B^T, G, A^T, rounded steps outside the C-long product). F(2x2, 3x3): each V
# element sums 4 inputs in 2 rounded steps, U takes at most 2 per pass in float32 (exact factors
# 1/2 and 1/4 aside), each Y element sums 9 M elements in 2 x 2 steps, then the bias:
# 2 + 4 + 4 + 1 = 11. F(4x4, 3x3): V takes at most 3
# rounded steps per 1-D pass (6, products by 2, 4, 5 included), U one, Y at most 4 per pass
# (8), the bias one: 16.
TRANSFORMS = {
    2: (np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], np.float64),
        np.array([[1, 0, 0], [.5, .5, .5], [.5, -.5, .5], [0, 0, 1]], np.float64),
        np.array([[1, 1, 1, 0], [0, 1, -1, -1]], np.float64),
        11),
    4: (np.array([[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
                  [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]], np.float64),
        np.array([[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
                  [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]], np.float64),
        np.array([[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0],
                  [0, 1, -1, 8, -8, 1]], np.float64),
        16),
}


@st.composite
def wino_configs(draw, max_hw=20, max_pad=3):
    """3x3 stride 1: batch 1..3, H/W 1..max_hw (odd, smaller than the kernel with padding, edge
    tiles of every width), C/F 1..40 (around the SIMD widths), 'same' / 'valid' / explicit
    asymmetric pads up to max_pad."""
    n = draw(st.integers(1, 3))
    c = draw(st.one_of(st.integers(1, 40), st.sampled_from([1, 7, 8, 15, 16, 17, 33, 40])))
    f = draw(st.one_of(st.integers(1, 40), st.sampled_from([1, 9, 16, 31, 32, 33, 40])))
    mode = draw(st.sampled_from(["valid", "same", "explicit"]))
    if mode == "valid":
        h, w = draw(st.integers(3, max_hw)), draw(st.integers(3, max_hw))
        padding = "valid"
    elif mode == "explicit":
        pads = ((draw(st.integers(0, max_pad)), draw(st.integers(0, max_pad))),
                (draw(st.integers(0, max_pad)), draw(st.integers(0, max_pad))))
        h = draw(st.integers(max(1, 3 - pads[0][0] - pads[0][1]), max_hw))
        w = draw(st.integers(max(1, 3 - pads[1][0] - pads[1][1]), max_hw))
        padding = pads
    else:
        h, w = draw(st.integers(1, max_hw)), draw(st.integers(1, max_hw))
        padding = "same"
    pads = resolve_padding(padding, (h, w), (3, 3), (1, 1), (1, 1), "test")
    return dict(x_shape=(n, h, w, c), w_shape=(3, 3, c, f), padding=padding, pads=pads)


def rand(rng, shape):
    return rng.standard_normal(shape).astype(np.float32)


def desc(cfg, isa):
    return f"[{isa}] x{cfg['x_shape']} w{cfg['w_shape']} p{cfg['pads']}"


def winograd_magnitude(x_abs, w_abs, pads, out_hw, m=2):
    """|A^T| (sum_c (|G| |g| |G^T|) . (|B^T| |d| |B|)) |A| per output: what the rounding errors of
    the transforms and of the C-long products scale with, with the tiling of
    conv2d_winograd.cpp: m x m output tiles, (m + 2) x (m + 2) patches from
    (m th - pad_top, m tw - pad_left), zeros outside x."""
    bt, g, at, _ = (np.abs(t) if isinstance(t, np.ndarray) else t for t in TRANSFORMS[m])
    a = m + 2
    n, h, w, c = x_abs.shape
    (pt, _), (pl, _) = pads
    oh, ow = out_hw
    th, tw = (oh + m - 1) // m, (ow + m - 1) // m
    hp, wp = m * th + 2, m * tw + 2
    xp = np.zeros((n, hp, wp, c))
    r1, c1 = min(h, hp - pt), min(w, wp - pl)  # rows/cols of x inside the padded window
    if r1 > 0 and c1 > 0:
        xp[:, pt:r1 + pt, pl:c1 + pl] = x_abs[:, :r1, :c1]
    idx_h = m * np.arange(th)[:, None] + np.arange(a)[None, :]
    idx_w = m * np.arange(tw)[:, None] + np.arange(a)[None, :]
    patches = xp[:, idx_h[:, None, :, None], idx_w[None, :, None, :]]  # (n, th, tw, a, a, c)
    v = np.einsum("ra,ntsabc,qb->ntsrqc", bt, patches, bt)
    u = np.einsum("ra,abcf,qb->rqcf", g, w_abs, g)
    mm = np.einsum("ntsrqc,rqcf->ntsrqf", v, u)
    y = np.einsum("ir,ntsrqf,jq->ntsijf", at, mm, at)
    y = y.transpose(0, 1, 3, 2, 4, 5).reshape(n, m * th, m * tw, -1)
    return y[:, :oh, :ow]


def winograd_bound(x_abs, w_abs, pads, out_hw, bias_abs=None, m=2):
    """Rounding bound of the Winograd path: to first order |err| <= (C + steps) u W for the
    magnitude W above (steps: TRANSFORMS), and gemm_error_bound(W, C + steps) allows twice
    that. For F(2x2, 3x3) and inputs of equal magnitude W is 64/9 of the direct path's
    |x| * |w| (the 8 x 8 nonzero pattern of the transforms against the 3 x 3 window), so for
    C >= 8 this is within 1.3x of the direct bound (9 C + 2) u |x||w|; F(4x4, 3x3)'s larger
    transform entries make W, and its error, ~10x larger."""
    wmag = winograd_magnitude(x_abs, w_abs, pads, out_hw, m)
    if bias_abs is not None:
        wmag = wmag + bias_abs
    return gemm_error_bound(wmag, x_abs.shape[-1] + TRANSFORMS[m][3])
