"""conv2d_maxpool_fwd: a convolution and the max pooling of its output in one call (inference
plans use it for Conv2D + MaxPooling2D). On the single-channel direct path the map is pooled row
by row as it is computed, on Winograd's blocked path block by block (whole rows of output
tiles); otherwise the two run back to back. Every way the result must equal
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


def _run(rng, case, relu=True, bias=True, nan=False):
    (n, h, w, c), (kh, kw, f), st, pads, pool = case
    x = rng.standard_normal((n, h, w, c)).astype(np.float32)
    if nan:  # NaN in some receptive fields: the pooled NaNs must match too
        x[0, 1, 2, 0] = x[-1, h - 1, w - 1, c - 1] = np.nan
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


# Winograd's blocked path (3x3 stride 1 'same' or 'valid' convolutions, enough tiles for several
# blocks) pools each block as it goes when the windows tile the rows: no vertical overlap, no
# padding above, window height dividing the output tile's (2 or 4). The last three cases have
# windows that do not, so the map is pooled whole. With F(2x2) and F(4x4) forced, on every ISA.
WINOGRAD_CASES = [
    # (N, H, W, C), F, conv pads, pool (ph, pw, sh, sw, pt, pb, pl, pr), path
    ((5, 14, 14, 32), 64, (1, 1, 1, 1), (2, 2, 2, 2, 0, 0, 0, 0), "winograd_blocks"),  # lab conv2
    ((6, 7, 7, 64), 128, (1, 1, 1, 1), (2, 2, 2, 2, 0, 1, 0, 1), "winograd_blocks"),   # lab conv3
    ((10, 9, 13, 48), 40, (0, 0, 0, 0), (2, 2, 2, 2, 0, 1, 0, 1), "winograd_blocks"),  # 7x11 map
    ((6, 12, 10, 40), 56, (1, 1, 1, 1), (2, 3, 2, 2, 0, 0, 0, 1), "winograd_blocks"),  # cols overlap
    ((4, 12, 12, 48), 64, (1, 1, 1, 1), (1, 2, 1, 2, 0, 0, 0, 0), "winograd_blocks"),  # 1-row windows
    ((4, 14, 14, 48), 64, (1, 1, 1, 1), (3, 3, 2, 2, 0, 0, 0, 0), "map"),  # rows overlap
    ((4, 14, 14, 48), 64, (1, 1, 1, 1), (2, 2, 2, 2, 1, 1, 1, 1), "map"),  # padding above
    ((4, 12, 12, 48), 64, (1, 1, 1, 1), (3, 3, 3, 3, 0, 0, 0, 0), "map"),  # 3 rows in 2 or 4
]


def _winograd_case(case):
    (n, h, w, c), f, pads, pool, _ = case
    return (n, h, w, c), (3, 3, f), (1, 1), pads, pool


def _path(case):
    (n, h, w, c), (kh, kw, f), st, pads, pool = _winograd_case(case)
    return _core._conv2d_maxpool_path(np.zeros((n, h, w, c), np.float32),
                                      np.zeros((kh, kw, c, f), np.float32), *st, *pads, 1, 1,
                                      *pool)


@pytest.fixture
def conv_algo():
    before = _core.get_conv_algo()
    yield _core.set_conv_algo
    _core.set_conv_algo(before)


@pytest.mark.parametrize("algo", ["winograd", "winograd4"])
@pytest.mark.parametrize("case", WINOGRAD_CASES, ids=lambda c: "x".join(map(str, c[0] + c[3])))
def test_winograd_blocks_pooled_equal_conv_then_pool(isa, rng, conv_algo, algo, case):
    conv_algo(algo)
    assert _path(case) == case[4]
    for relu, bias, nan in ((True, True, False), (False, False, False), (True, True, True)):
        fused, ref = _run(rng, _winograd_case(case), relu, bias, nan)
        assert fused.shape == ref.shape
        np.testing.assert_array_equal(fused, ref, err_msg=f"{isa} {algo} relu={relu} nan={nan}")
        assert nan == bool(np.isnan(fused).any())


def test_winograd_blocks_for_any_thread_count(threads, rng, conv_algo):
    conv_algo("winograd4")
    case = WINOGRAD_CASES[0]
    assert _path(case) == "winograd_blocks"
    outs = []
    for t in (1, 2, 3):
        fastconv.set_num_threads(t)
        fused, ref = _run(np.random.default_rng(1), _winograd_case(case))
        np.testing.assert_array_equal(fused, ref)
        outs.append(fused)
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_array_equal(outs[0], outs[2])


@pytest.mark.parametrize("algo", ["direct", "winograd", "winograd4"])
def test_forced_algorithms_keep_the_two_calls_bits(rng, conv_algo, algo):
    # A forced Winograd takes single-channel 3x3 layers too (conv2d_fwd tries it first): the
    # fused call must follow, not pool the direct path's rows.
    conv_algo(algo)
    for case in CASES[:2] + [CASES[-1]]:
        fused, ref = _run(rng, case)
        np.testing.assert_array_equal(fused, ref, err_msg=f"{algo} {case}")


def test_paths_of_the_lab_cnn_at_batch_100(conv_algo):
    # The inference plan's three Conv2D + MaxPooling2D steps at the lab's batch.
    conv_algo("auto")
    lab = [((100, 28, 28, 1), 32, "direct1_rows"), ((100, 14, 14, 32), 64, "winograd_blocks"),
           ((100, 7, 7, 64), 128, "winograd_blocks")]
    for shape, f, path in lab:
        pad = shape[1] % 2
        assert _path((shape, f, (1, 1, 1, 1), (2, 2, 2, 2, 0, pad, 0, pad), None)) == path
