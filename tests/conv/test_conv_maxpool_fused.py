"""conv2d_maxpool_fwd: a convolution and the max pooling of its output in one call (inference
plans use it for Conv2D + MaxPooling2D). On the single-channel direct path the map is pooled row
by row as it is computed; otherwise the two run back to back. Either way the result must equal
maxpool2d_fwd(conv2d_fwd(...)) bit for bit, on every ISA, for any thread count."""

from __future__ import annotations

import numpy as np
import pytest

import fastconv
from fastconv import _core

CASES = [
    # (N, H, W, C), (KH, KW, F), conv stride, conv pads, pool (ph, pw, sh, sw, pt, pb, pl, pr)
    ((1, 28, 28, 1), (3, 3, 32), (1, 1), (1, 1, 1, 1), (2, 2, 2, 2, 0, 0, 0, 0)),
    ((3, 7, 9, 1), (3, 3, 5), (1, 1), (1, 1, 1, 1), (2, 2, 2, 2, 0, 1, 0, 1)),   # 'same', odd
    ((2, 12, 11, 1), (2, 3, 40), (1, 2), (0, 0, 1, 1), (3, 3, 3, 3, 0, 0, 0, 0)),
    ((1, 10, 10, 1), (3, 3, 17), (1, 1), (0, 0, 0, 0), (2, 3, 3, 2, 0, 0, 0, 1)),  # rows skipped
    ((2, 13, 13, 1), (3, 3, 8), (1, 1), (0, 0, 0, 0), (3, 3, 2, 2, 0, 0, 0, 0)),   # overlapping
    ((2, 9, 9, 3), (3, 3, 16), (1, 1), (1, 1, 1, 1), (2, 2, 2, 2, 0, 1, 0, 1)),    # C > 1
    ((1, 7, 7, 64), (3, 3, 128), (1, 1), (1, 1, 1, 1), (2, 2, 2, 2, 0, 1, 0, 1)),
]


def _run(rng, case, relu=True, bias=True):
    (n, h, w, c), (kh, kw, f), st, pads, pool = case
    x = rng.standard_normal((n, h, w, c)).astype(np.float32)
    wt = rng.standard_normal((kh, kw, c, f)).astype(np.float32)
    b = rng.standard_normal(f).astype(np.float32) if bias else None
    conv = (*st, *pads, 1, 1, relu)
    fused = _core.conv2d_maxpool_fwd(x, wt, b, *conv, *pool)
    ref = _core.maxpool2d_fwd(_core.conv2d_fwd(x, wt, b, *conv), *pool)
    return fused, ref


@pytest.mark.parametrize("case", CASES, ids=lambda c: "x".join(map(str, c[0] + c[1])))
def test_fused_equals_conv_then_pool(isa, rng, case):
    for relu, bias in ((True, True), (False, False)):
        fused, ref = _run(rng, case, relu, bias)
        assert fused.shape == ref.shape
        assert np.array_equal(fused, ref), f"{isa} {case} relu={relu}"


def test_thread_counts(threads, rng):
    for t in (1, 2, 3):
        fastconv.set_num_threads(t)
        fused, ref = _run(rng, ((4, 28, 28, 1), (3, 3, 32), (1, 1), (1, 1, 1, 1),
                                (2, 2, 2, 2, 0, 0, 0, 0)))
        assert np.array_equal(fused, ref)


def test_bad_geometry_is_a_value_error():
    x = np.ones((1, 4, 4, 1), np.float32)
    w = np.ones((3, 3, 1, 2), np.float32)
    with pytest.raises(ValueError, match="conv2d_maxpool_fwd"):  # pool larger than the map
        _core.conv2d_maxpool_fwd(x, w, None, 1, 1, 0, 0, 0, 0, 1, 1, False, 3, 3, 3, 3, 0, 0, 0, 0)
    with pytest.raises(ValueError, match="conv2d_maxpool_fwd"):  # channel mismatch
        _core.conv2d_maxpool_fwd(x, np.ones((3, 3, 2, 2), np.float32), None, 1, 1, 0, 0, 0, 0,
                                 1, 1, False, 2, 2, 2, 2, 0, 0, 0, 0)
