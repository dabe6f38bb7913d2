import math

import pytest
from hypothesis import given, settings, strategies as st

from fastconv._geometry import (conv_output_hw, normalize_pair, pool_output_hw,
                                resolve_padding)


def test_normalize_pair_accepts_int_and_pairs():
    assert normalize_pair(3, "strides", "conv2d") == (3, 3)
    assert normalize_pair((2, 5), "strides", "conv2d") == (2, 5)
    assert normalize_pair([1, 4], "strides", "conv2d") == (1, 4)


@pytest.mark.parametrize("bad, exc", [
    (0, ValueError), (-1, ValueError), ((1, 0), ValueError), ((1, 2, 3), ValueError),
    ((1,), ValueError), (1.5, TypeError), ((1, 2.0), TypeError), (True, TypeError),
    ((True, 1), TypeError), ("2", TypeError), (None, TypeError),
])
def test_normalize_pair_errors_name_op_and_argument(bad, exc):
    with pytest.raises(exc) as info:
        normalize_pair(bad, "strides", "conv2d")
    msg = str(info.value)
    assert "conv2d" in msg and "strides" in msg


@pytest.mark.parametrize("h, k, s, pads, oh", [
    (5, 3, 2, (1, 1), 3),
    (4, 3, 2, (0, 1), 2),
    (28, 3, 2, (0, 1), 14),
    (3, 3, 1, (1, 1), 3),
    (2, 2, 1, (0, 1), 2),
    (14, 2, 2, (0, 0), 7),
    (3, 5, 1, (2, 2), 3),   # kernel larger than the input is fine with 'same'
    (2, 7, 1, (3, 3), 2),
    (7, 1, 3, (0, 0), 3),
])
def test_same_padding_matches_tensorflow(h, k, s, pads, oh):
    got = resolve_padding("same", (h, h), (k, k), (s, s), (1, 1), "conv2d")
    assert got == (pads, pads)
    assert conv_output_hw((h, h), (k, k), (s, s), got, (1, 1)) == (oh, oh)


def test_same_padding_with_dilation_and_rectangles():
    # effective kernel (3-1)*2+1 = 5 on H=6, stride 1: total 4 -> (2, 2)
    # width: W=7, k=2, stride 3 -> OW=3, total = 2*3+2-7 = 1 -> (0, 1)
    pads = resolve_padding("SAME", (6, 7), (3, 2), (1, 3), (2, 1), "conv2d")
    assert pads == ((2, 2), (0, 1))
    assert conv_output_hw((6, 7), (3, 2), (1, 3), pads, (2, 1)) == (6, 3)


@pytest.mark.parametrize("mode", ["valid", "VALID", "Valid", "same", "SAME", "sAmE"])
def test_padding_is_case_insensitive(mode):
    pads = resolve_padding(mode, (5, 5), (3, 3), (2, 2), (1, 1), "max_pool2d")
    expected = ((0, 0), (0, 0)) if mode.lower() == "valid" else ((1, 1), (1, 1))
    assert pads == expected


def test_explicit_padding_forms():
    assert resolve_padding(2, (5, 5), (3, 3), 1, 1, "conv2d") == ((2, 2), (2, 2))
    assert resolve_padding((1, 2), (5, 5), (3, 3), 1, 1, "conv2d") == ((1, 1), (2, 2))
    assert resolve_padding(((0, 1), (2, 3)), (5, 5), (3, 3), 1, 1, "conv2d") == ((0, 1), (2, 3))
    assert resolve_padding(0, (5, 5), (3, 3), 1, 1, "conv2d") == ((0, 0), (0, 0))


@pytest.mark.parametrize("bad, exc", [
    ("full", ValueError), (-1, ValueError), (((0, -1), (0, 0)), ValueError),
    ((1, 2, 3), ValueError), (1.0, TypeError), (((0, 1.5), (0, 0)), TypeError),
    (None, TypeError), (True, TypeError),
])
def test_bad_padding_raises_with_op_name(bad, exc):
    with pytest.raises(exc) as info:
        resolve_padding(bad, (5, 5), (3, 3), 1, 1, "conv2d")
    assert "conv2d" in str(info.value) and "padding" in str(info.value)


def test_valid_kernel_larger_than_input_raises():
    with pytest.raises(ValueError) as info:
        conv_output_hw((3, 3), (5, 5), (1, 1), ((0, 0), (0, 0)), (1, 1),
                       op="conv2d", x_shape=(1, 3, 3, 1), padding="valid")
    msg = str(info.value)
    assert msg.startswith("conv2d: kernel 5x5")
    assert "3x3" in msg and "(1, 3, 3, 1)" in msg and "valid" in msg


def test_dilated_kernel_larger_than_input_mentions_dilation():
    with pytest.raises(ValueError, match=r"kernel 3x3 \(dilated 5x5\)"):
        conv_output_hw((4, 4), (3, 3), (1, 1), ((0, 0), (0, 0)), (2, 2), op="conv2d")


def test_pool_output_hw():
    assert pool_output_hw((14, 14), (2, 2), (2, 2)) == (7, 7)
    assert pool_output_hw((2, 2), (2, 2), (1, 1)) == (1, 1)
    assert pool_output_hw((5, 5), (2, 2)) == (2, 2)  # strides default to the pool size
    with pytest.raises(ValueError, match="max_pool2d: pool window 3x3"):
        pool_output_hw((2, 2), (3, 3), (1, 1), op="max_pool2d")


@settings(max_examples=200, deadline=None)
@given(h=st.integers(1, 40), k=st.integers(1, 9), s=st.integers(1, 5), d=st.integers(1, 3))
def test_same_output_is_ceil_of_input_over_stride(h, k, s, d):
    pads = resolve_padding("same", (h, h), (k, k), (s, s), (d, d), "conv2d")
    (t, b), _ = pads
    assert 0 <= b - t <= 1
    assert conv_output_hw((h, h), (k, k), (s, s), pads, (d, d)) == (math.ceil(h / s),) * 2


@settings(max_examples=200, deadline=None)
@given(h=st.integers(1, 40), k=st.integers(1, 9), s=st.integers(1, 5), d=st.integers(1, 3),
       pt=st.integers(0, 3), pb=st.integers(0, 3))
def test_output_hw_matches_brute_force_window_count(h, k, s, d, pt, pb):
    eff = (k - 1) * d + 1
    starts = [o for o in range(0, h + pt + pb) if o % s == 0 and o + eff <= h + pt + pb]
    pads = ((pt, pb), (0, 0))
    if not starts:
        with pytest.raises(ValueError):
            conv_output_hw((h, 1), (k, 1), (s, 1), pads, (d, 1))
    else:
        assert conv_output_hw((h, 1), (k, 1), (s, 1), pads, (d, 1)) == (len(starts), 1)
