"""fastconv.image: rotate / shift / random_rotate_shift cross-checked against scipy.ndimage
(order=1, mode='constant', same cval) on random images, plus exact cases and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from assertions import assert_within
from hypothesis import example, given, settings
from hypothesis import strategies as st

import fastconv
from fastconv import _core, image
from fastconv.image import rotate_shift_coeffs
from fastconv.ops.image import affine_bilinear, median, rotation_coeffs

ndimage = pytest.importorskip("scipy.ndimage", reason="scipy is the test-only oracle")

SIZES = [(1, 1), (1, 5), (2, 3), (5, 7), (9, 16), (16, 9), (28, 28), (31, 30)]


def _bound(expected):
    # The native code follows scipy's double-precision arithmetic step by step, so results agree
    # to float32 rounding; the bound only allows for a last-bit difference in cos/sin.
    return 1e-6 * (1.0 + np.abs(expected))


def _scipy_rotate(x, angles, cval):
    return np.stack([ndimage.rotate(x[i], angles[i], axes=(0, 1), reshape=False, order=1,
                                    mode="constant", cval=cval[i]) for i in range(len(x))])


def _scipy_shift(x, dy, dx, cval):
    out = []
    for i in range(len(x)):
        s = (dy[i], dx[i]) + (0.0,) * (x.ndim - 3)
        out.append(ndimage.shift(x[i], s, order=1, mode="constant", cval=cval[i]))
    return np.stack(out)


@pytest.mark.parametrize("hw", SIZES, ids=[f"{h}x{w}" for h, w in SIZES])
def test_rotate_matches_scipy(hw, rng):
    h, w = hw
    x = rng.uniform(-1, 1, (8, h, w)).astype(np.float32)
    angles = np.concatenate([[0.0, 90.0, -90.0, 180.0, 45.0], rng.uniform(-180, 180, 3)])
    cval = rng.uniform(-1, 1, 8).astype(np.float32)
    got = image.rotate(x, angles, fill=cval)
    assert got.dtype == np.float32 and got.shape == x.shape
    expected = _scipy_rotate(x, angles, cval)
    assert_within(got, expected, _bound(expected), f"rotate {h}x{w}")


@pytest.mark.parametrize("hw", SIZES, ids=[f"{h}x{w}" for h, w in SIZES])
def test_shift_matches_scipy(hw, rng):
    h, w = hw
    x = rng.uniform(-1, 1, (8, h, w)).astype(np.float32)
    dy = np.concatenate([[0.0, 1.0, -2.0, 0.5, 40.0], rng.uniform(-3, 3, 3)])
    dx = np.concatenate([[0.0, -1.0, 3.0, -0.25, 0.0], rng.uniform(-3, 3, 3)])
    got = image.shift(x, dy, dx, fill=0.5)
    expected = _scipy_shift(x, dy, dx, np.full(8, 0.5))
    assert_within(got, expected, _bound(expected), f"shift {h}x{w}")


@settings(max_examples=25, deadline=None)
@given(h=st.integers(1, 20), w=st.integers(1, 20), c=st.integers(1, 5),
       angle=st.floats(-360, 360), seed=st.integers(0, 2**32 - 1))
@example(h=2, w=3, c=1, angle=179.99999999999994, seed=0)  # a point on the border (see below)
def test_rotate_channels_match_scipy(h, w, c, angle, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 255, (2, h, w, c)).astype(np.float32)
    got = image.rotate(x, angle, fill=3.0)
    expected = _scipy_rotate(x, [angle, angle], [3.0, 3.0])
    # A sample point within a hair of the image border is inside or outside depending on the
    # last bit of cos/sin (scipy uses cephes' cosdg/sindg, fastconv the C library's cos/sin:
    # e.g. 179.99999999999994 degrees puts a point at -1e-16 for one and +1e-16 for the
    # other). Those pixels may legitimately differ; every other one must agree.
    on_edge = _near_border(rotation_coeffs(np.array([angle]), h, w)[0], h, w)
    bound = np.where(on_edge[None, :, :, None], np.inf, _bound(expected) * 255)
    assert_within(got, expected, bound, f"rotate {x.shape} by {angle}")


def _near_border(coeffs, h, w, eps=1e-9):
    r, q = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64),
                       indexing="ij")
    pr = r * coeffs[0] + q * coeffs[1] + coeffs[4]
    pq = r * coeffs[2] + q * coeffs[3] + coeffs[5]
    near = np.zeros((h, w), bool)
    for p, n in ((pr, h), (pq, w)):
        near |= (np.abs(p) < eps) | (np.abs(p - (n - 1)) < eps)
    return near


def test_random_rotate_shift_is_one_affine_resample(rng):
    x = rng.uniform(0, 1, (6, 28, 28, 2)).astype(np.float32)
    got = image.random_rotate_shift(x, max_degrees=30, max_shift=3, fill=0.25, seed=7)
    draw = np.random.default_rng(7)
    angles = draw.uniform(-30, 30, 6)
    dy, dx = draw.uniform(-3, 3, 6), draw.uniform(-3, 3, 6)
    coeffs = rotate_shift_coeffs(angles, dy, dx, 28, 28)
    for i in range(6):
        m = np.array([[coeffs[i, 0], coeffs[i, 1], 0], [coeffs[i, 2], coeffs[i, 3], 0],
                      [0, 0, 1]])
        expected = ndimage.affine_transform(x[i], m, offset=(coeffs[i, 4], coeffs[i, 5], 0),
                                            order=1, mode="constant", cval=0.25)
        assert_within(got[i], expected, _bound(expected), f"image {i}")
    # The composition really is "rotate, then shift": compare with scipy's two steps where
    # the shift is whole pixels (exact), on the interior away from the borders.
    x2 = x[:1, :, :, 0]
    two_step = ndimage.shift(ndimage.rotate(x2[0], 10.0, reshape=False, order=1, cval=0.0),
                             (2, -1), order=1, cval=0.0)
    composed = rotate_shift_coeffs(np.array([10.0]), np.array([2.0]), np.array([-1.0]), 28, 28)
    mine = affine_bilinear(np.ascontiguousarray(x2[..., None]), composed,
                           np.zeros((1, 1), np.float32))[0, :, :, 0]
    assert_within(mine[6:22, 6:22], two_step[6:22, 6:22], 1e-6, "rotate-then-shift")


# ---------------------------------------------------------------------------------------------
# Exact cases


def test_integer_shift_is_exact(rng):
    x = rng.uniform(-1e3, 1e3, (3, 6, 7)).astype(np.float32)
    x[0, 2, 3] = np.inf  # an exact copy never multiplies a neighbour by a zero weight
    got = image.shift(x, [2, -1, 0], [-3, 0, 9], fill=-7.0)
    expected = np.full_like(x, -7.0)
    expected[0, 2:, :4] = x[0, :4, 3:]
    expected[1, :5, :] = x[1, 1:, :]
    np.testing.assert_array_equal(got, expected)


def test_rotation_by_zero_and_full_turns_is_identity(rng):
    x = rng.uniform(-1, 1, (3, 11, 8, 3)).astype(np.float32)
    for angle in (0.0, 360.0, -720.0):
        np.testing.assert_array_equal(image.rotate(x, angle, fill=99.0), x)
    np.testing.assert_array_equal(image.random_rotate_shift(x, 0, 0, seed=1), x)


def test_quarter_turn_of_a_square_is_rot90(rng):
    x = rng.uniform(-1, 1, (2, 9, 9)).astype(np.float32)
    np.testing.assert_array_equal(image.rotate(x, 90.0), np.rot90(x, 1, axes=(1, 2)))
    np.testing.assert_array_equal(image.rotate(x, -90.0), np.rot90(x, -1, axes=(1, 2)))
    np.testing.assert_array_equal(image.rotate(x, 180.0), x[:, ::-1, ::-1])


def test_uint8_input_and_median_fill(rng):
    x8 = rng.integers(0, 256, (4, 10, 12), dtype=np.uint8)
    x8[:, :5] = 3  # a background the median picks up
    xf = x8.astype(np.float32)
    angles = [20.0, -20.0, 45.0, 5.0]
    got = image.rotate(x8, angles, fill="median")
    np.testing.assert_array_equal(got, image.rotate(xf, angles, fill="median"))
    medians = np.median(xf.reshape(4, -1), axis=1)
    np.testing.assert_array_equal(got, image.rotate(xf, angles, fill=medians))
    assert got.dtype == np.float32
    # Per image and channel fills.
    xc = rng.uniform(0, 1, (2, 5, 5, 3)).astype(np.float32)
    per = np.arange(6, dtype=np.float32).reshape(2, 3) + 10
    out = image.shift(xc, 9, 0, fill=per)  # shifted out entirely: all fill
    np.testing.assert_array_equal(out, np.broadcast_to(per[:, None, None, :], xc.shape))
    med = image.shift(xc, 9, 0, fill="median")
    np.testing.assert_array_equal(med[:, 0, 0], np.median(xc.reshape(2, -1, 3), axis=1))


@pytest.mark.parametrize("shape", [(5, 1, 1, 1), (4, 3, 3, 2), (6, 28, 28, 1), (3, 7, 4, 3),
                                   (0, 4, 4, 1)])
def test_native_median_equals_numpy(shape, rng):
    x = rng.uniform(-5, 5, shape).astype(np.float32)
    x[:, : shape[1] // 2] = 1.5  # ties
    if shape[0] > 1:
        x[1, 0, 0, 0] = np.nan  # NaN in one image and channel gives NaN there, like numpy
    expected = np.median(x.reshape(shape[0], shape[1] * shape[2], shape[3]), axis=1)
    np.testing.assert_array_equal(median(x), expected)


@pytest.mark.parametrize("shape", [(5, 1, 1, 1), (4, 2, 3, 2), (6, 28, 28, 1), (3, 7, 5, 3),
                                   (0, 4, 4, 1)])
def test_native_uint8_median_equals_numpy(shape, rng):
    x = rng.integers(0, 256, shape, dtype=np.uint8)
    x[:, : shape[1] // 2] = 0  # MNIST-like background ties
    if shape[0] > 2:
        x[2] = 255
    expected = np.median(x.reshape(shape[0], shape[1] * shape[2], shape[3]).astype(np.float32),
                         axis=1)
    np.testing.assert_array_equal(median(x), expected)
    np.testing.assert_array_equal(median(x), median(x.astype(np.float32)))


def test_random_rotate_shift_reproducible_and_bounded(rng):
    x = rng.integers(0, 256, (16, 28, 28), dtype=np.uint8)
    a = image.random_rotate_shift(x, seed=123)
    np.testing.assert_array_equal(a, image.random_rotate_shift(x, seed=123))
    assert not np.array_equal(a, image.random_rotate_shift(x, seed=124))
    gen = np.random.default_rng(5)
    first, second = image.random_rotate_shift(x, seed=gen), image.random_rotate_shift(x, seed=gen)
    assert not np.array_equal(first, second)  # a Generator keeps drawing
    assert a.shape == x.shape and a.dtype == np.float32
    assert a.min() >= 0 and a.max() <= 255  # convex combinations of pixels and the median
    assert image.random_rotate_shift(x[:0], seed=1).shape == (0, 28, 28)


def test_results_do_not_depend_on_thread_count(rng, threads):
    x = rng.uniform(0, 1, (64, 28, 28)).astype(np.float32)
    fastconv.set_num_threads(1)
    one = image.random_rotate_shift(x, seed=3)
    fastconv.set_num_threads(2)
    np.testing.assert_array_equal(image.random_rotate_shift(x, seed=3), one)


# ---------------------------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (lambda x: image.rotate(x[0], 10), ValueError, r"rotate: images must have shape"),
        (lambda x: image.rotate(x[:, :0], 10), ValueError, r"non-empty H, W and C"),
        (lambda x: image.rotate(x.astype(np.complex64), 10), TypeError, "real numbers"),
        (lambda x: image.rotate(x, [1.0, 2.0]), ValueError, r"angles_deg must be a scalar or "
                                                             r"have shape \(3,\)"),
        (lambda x: image.rotate(x, np.nan), ValueError, "angles_deg must be finite"),
        (lambda x: image.rotate(x, "10"), TypeError, "angles_deg must be a real number"),
        (lambda x: image.shift(x, 1, [1, 2]), ValueError, r"dx must be a scalar"),
        (lambda x: image.rotate(x, 1, fill="mean"), ValueError, "fill must be 'median'"),
        (lambda x: image.rotate(x, 1, fill=np.zeros((3, 2))), ValueError, r"fill must be"),
        (lambda x: image.random_rotate_shift(x, max_degrees=-1), ValueError,
         "max_degrees must be finite and >= 0"),
        (lambda x: image.random_rotate_shift(x, max_shift=True), TypeError,
         "max_shift must be a real number"),
        (lambda x: image.random_rotate_shift(x, max_shift=np.inf), ValueError,
         "max_shift must be finite"),
    ],
    ids=["rank2", "empty-h", "complex", "angles-shape", "nan-angle", "str-angle", "dx-shape",
         "fill-str", "fill-shape", "neg-degrees", "bool-shift", "inf-shift"],
)
def test_bad_input(call, exc, message):
    x = np.zeros((3, 4, 5), np.float32)
    with pytest.raises(exc, match=message):
        call(x)


def test_binding_checks_shapes():
    x = np.zeros((2, 4, 4, 1), np.float32)
    with pytest.raises(ValueError, match="coeffs must have shape"):
        _core.image_affine_bilinear(x, np.zeros((1, 6)), np.zeros((2, 1), np.float32),
                                    np.empty_like(x))
    with pytest.raises(ValueError, match="fill must have shape"):
        _core.image_affine_bilinear(x, np.zeros((2, 6)), np.zeros((2, 2), np.float32),
                                    np.empty_like(x))
    with pytest.raises(ValueError, match="y must have the shape of x"):
        _core.image_affine_bilinear(x, np.zeros((2, 6)), np.zeros((2, 1), np.float32),
                                    np.empty((2, 4, 4, 2), np.float32))
    with pytest.raises(TypeError):
        _core.image_affine_bilinear(x.astype(np.float64), np.zeros((2, 6)),
                                    np.zeros((2, 1), np.float32), np.empty_like(x))
