import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from _fd import assert_grad_close, numeric_vjp
from fastconv import reference as R
from fastconv._geometry import conv_output_hw, resolve_padding


def _naive_conv(x, w, strides, pads, dilation):
    """Scalar-loop convolution, independent of the reference's tap slicing."""
    n, h, wd, c = x.shape
    kh, kw, _, f = w.shape
    (pt, pb), (pl, pr) = pads
    sh, sw = strides
    dh, dw = dilation
    oh = (h + pt + pb - (kh - 1) * dh - 1) // sh + 1
    ow = (wd + pl + pr - (kw - 1) * dw - 1) // sw + 1
    y = np.zeros((n, oh, ow, f))
    for b in range(n):
        for r in range(oh):
            for q in range(ow):
                for i in range(kh):
                    for j in range(kw):
                        xr, xc = r * sh + i * dh - pt, q * sw + j * dw - pl
                        if 0 <= xr < h and 0 <= xc < wd:
                            y[b, r, q] += x[b, xr, xc] @ w[i, j]
    return y


LAB_IMAGE = np.arange(1, 10, dtype=np.float64).reshape(1, 3, 3, 1)


def test_lab_valid_all_ones_kernel():
    y = R.conv2d(LAB_IMAGE, np.ones((2, 2, 1, 1)), padding="VALID")
    assert y.dtype == np.float64 and y.shape == (1, 2, 2, 1)
    np.testing.assert_array_equal(y[0, :, :, 0], [[12, 16], [24, 28]])


def test_lab_same_three_filters():
    w = np.ones((2, 2, 1, 3)) * np.array([1.0, 10.0, -1.0])
    y = R.conv2d(LAB_IMAGE, w, padding="SAME")
    base = np.array([[12, 16, 9], [24, 28, 15], [15, 17, 9]], dtype=np.float64)
    assert y.shape == (1, 3, 3, 3)
    np.testing.assert_array_equal(y[0, :, :, 0], base)
    np.testing.assert_array_equal(y[0, :, :, 1], 10 * base)
    np.testing.assert_array_equal(y[0, :, :, 2], -base)


def test_lab_28x28_stride2_same_shape():
    rng = np.random.default_rng(0)
    y = R.conv2d(rng.normal(size=(1, 28, 28, 1)), rng.normal(size=(3, 3, 1, 5)),
                 strides=2, padding="same")
    assert y.shape == (1, 14, 14, 5)


def test_bias_and_relu():
    rng = np.random.default_rng(1)
    x, w, b = rng.normal(size=(2, 5, 5, 3)), rng.normal(size=(3, 3, 3, 4)), rng.normal(size=4)
    plain = R.conv2d(x, w)
    np.testing.assert_allclose(R.conv2d(x, w, b), plain + b)
    np.testing.assert_allclose(R.conv2d(x, w, b, activation="relu"), np.maximum(plain + b, 0))
    np.testing.assert_allclose(R.conv2d_fwd(x, w, b, relu=True), np.maximum(plain + b, 0))
    with pytest.raises(ValueError, match="activation"):
        R.conv2d(x, w, activation="gelu")


def test_conv2d_valid_too_small_raises_with_shapes():
    with pytest.raises(ValueError, match=r"conv2d: kernel 5x5 .*3x3.*x.shape=\(1, 3, 3, 1\)"):
        R.conv2d(LAB_IMAGE, np.ones((5, 5, 1, 1)), padding="valid")


def test_channel_mismatch_raises():
    with pytest.raises(ValueError, match="channels"):
        R.conv2d_fwd(np.zeros((1, 4, 4, 2)), np.zeros((3, 3, 3, 1)))


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_forward_matches_scalar_loops(data):
    n, c, f = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    kh, kw = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    s = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    d = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
    h, wd = data.draw(st.integers(1, 7)), data.draw(st.integers(1, 7))
    padding = data.draw(st.sampled_from(["same", "valid", ((0, 1), (2, 0)), 1]))
    pads = resolve_padding(padding, (h, wd), (kh, kw), s, d, "conv2d")
    try:
        conv_output_hw((h, wd), (kh, kw), s, pads, d)
    except ValueError:
        return
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1)))
    x, w = rng.normal(size=(n, h, wd, c)), rng.normal(size=(kh, kw, c, f))
    np.testing.assert_allclose(R.conv2d_fwd(x, w, None, s, pads, d),
                               _naive_conv(x, w, s, pads, d), rtol=1e-12, atol=1e-12)


GRAD_CASES = [
    # (x shape, w shape, strides, padding, dilation)
    ((1, 5, 5, 2), (3, 3, 2, 2), (2, 2), "valid", (1, 1)),
    ((1, 5, 6, 2), (3, 3, 2, 2), (2, 2), "same", (1, 1)),
    ((2, 6, 6, 1), (2, 2, 1, 3), (1, 1), "valid", (2, 2)),
    ((1, 5, 7, 2), (3, 3, 2, 2), (1, 1), "same", (2, 2)),
    ((1, 5, 5, 2), (2, 3, 2, 2), (1, 1), "same", (1, 1)),    # non-square, odd sizes
    ((1, 7, 5, 1), (3, 1, 1, 2), (3, 2), "same", (1, 1)),
    ((1, 4, 4, 2), (3, 2, 2, 1), (1, 2), ((0, 2), (1, 0)), (1, 1)),
]


@pytest.mark.parametrize("xs, ws, s, padding, d", GRAD_CASES)
def test_backward_matches_finite_differences(xs, ws, s, padding, d):
    rng = np.random.default_rng(hash((xs, ws)) % 2 ** 32)
    x, w = rng.normal(size=xs), rng.normal(size=ws)
    pads = resolve_padding(padding, xs[1:3], ws[:2], s, d, "conv2d")
    b = rng.normal(size=ws[3])
    y = R.conv2d_fwd(x, w, b, s, pads, d)
    dy = rng.normal(size=y.shape)

    dx = R.conv2d_bwd_data(dy, w, x.shape, s, pads, d)
    dw, db = R.conv2d_bwd_filter(x, dy, w.shape, s, pads, d)
    assert dx.shape == x.shape and dw.shape == w.shape and db.shape == b.shape

    assert_grad_close(dx, numeric_vjp(lambda z: R.conv2d_fwd(z, w, b, s, pads, d), x, dy))
    assert_grad_close(dw, numeric_vjp(lambda z: R.conv2d_fwd(x, z, b, s, pads, d), w, dy))
    assert_grad_close(db, numeric_vjp(lambda z: R.conv2d_fwd(x, w, z, s, pads, d), b, dy))


def test_float32_inputs_give_float64():
    x = np.ones((1, 3, 3, 1), np.float32)
    w = np.ones((2, 2, 1, 1), np.float32)
    assert R.conv2d_fwd(x, w).dtype == np.float64
    assert R.conv2d_bwd_data(np.ones((1, 2, 2, 1), np.float32), w, x.shape).dtype == np.float64
