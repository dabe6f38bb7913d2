"""Shapes and helpers shared by the Winograd tests (F(2x2, 3x3) and F(4x4, 3x3))."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from fastconv._geometry import resolve_padding


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
