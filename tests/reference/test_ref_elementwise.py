import numpy as np
import pytest

from _fd import assert_grad_close, numeric_vjp
from fastconv import reference as R


def test_add_and_multiply_with_gradients():
    rng = np.random.default_rng(0)
    a, b, c = (rng.normal(size=(2, 3, 4)) for _ in range(3))
    np.testing.assert_allclose(R.add_fwd([a, b, c]), a + b + c)
    np.testing.assert_allclose(R.multiply_fwd([a, b, c]), a * b * c)
    dy = rng.normal(size=a.shape)
    for k, g in enumerate(R.add_bwd(dy, 3)):
        np.testing.assert_array_equal(g, dy)
    da, db, dc = R.multiply_bwd([a, b, c], dy)
    assert_grad_close(da, numeric_vjp(lambda z: R.multiply_fwd([z, b, c]), a, dy))
    assert_grad_close(db, numeric_vjp(lambda z: R.multiply_fwd([a, z, c]), b, dy))
    assert_grad_close(dc, numeric_vjp(lambda z: R.multiply_fwd([a, b, z]), c, dy))
    with pytest.raises(ValueError):
        R.add_fwd([a, np.zeros((2, 3))])


def test_concat_channels_and_gradient():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(2, 3, 3, 2)), rng.normal(size=(2, 3, 3, 3))
    y = R.concat_fwd([a, b])
    assert y.shape == (2, 3, 3, 5)
    np.testing.assert_array_equal(y[..., :2], a)
    dy = rng.normal(size=y.shape)
    da, db = R.concat_bwd(dy, [2, 3])
    assert_grad_close(da, numeric_vjp(lambda z: R.concat_fwd([z, b]), a, dy))
    assert_grad_close(db, numeric_vjp(lambda z: R.concat_fwd([a, z]), b, dy))


def test_zero_pad_and_gradient():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(1, 2, 3, 2))
    pads = ((1, 0), (2, 1))
    y = R.zero_pad2d_fwd(x, pads)
    assert y.shape == (1, 3, 6, 2)
    np.testing.assert_array_equal(y[:, 1:, 2:5], x)
    assert y.sum() == pytest.approx(x.sum())
    dy = rng.normal(size=y.shape)
    assert_grad_close(R.zero_pad2d_bwd(dy, pads), numeric_vjp(lambda z: R.zero_pad2d_fwd(z, pads), x, dy))
    assert R.zero_pad2d_fwd(x, 1).shape == (1, 4, 5, 2)


@pytest.mark.parametrize("axis, keepdims", [(None, False), (-1, False), ((1, 2), True), ((0, 2), False)])
def test_reductions_and_gradients(axis, keepdims):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 3, 4))
    s = R.reduce_sum_fwd(x, axis, keepdims)
    m = R.reduce_mean_fwd(x, axis, keepdims)
    np.testing.assert_allclose(s, np.sum(x, axis=axis, keepdims=keepdims))
    np.testing.assert_allclose(m, np.mean(x, axis=axis, keepdims=keepdims))
    dy = rng.normal(size=np.shape(s))
    assert_grad_close(R.reduce_sum_bwd(dy, x.shape, axis, keepdims),
                      numeric_vjp(lambda z: R.reduce_sum_fwd(z, axis, keepdims), x, dy))
    assert_grad_close(R.reduce_mean_bwd(dy, x.shape, axis, keepdims),
                      numeric_vjp(lambda z: R.reduce_mean_fwd(z, axis, keepdims), x, dy))


def test_reference_namespace_is_flat_and_float64():
    names = ["conv2d_fwd", "conv2d_bwd_data", "conv2d_bwd_filter", "conv2d",
             "maxpool2d_fwd", "maxpool2d_bwd", "avgpool2d_fwd", "avgpool2d_bwd",
             "global_avgpool2d_fwd", "global_avgpool2d_bwd", "global_maxpool2d_fwd",
             "global_maxpool2d_bwd", "max_pool2d", "avg_pool2d", "relu_fwd", "relu_bwd",
             "bias_add_fwd", "bias_add_bwd", "softmax_fwd", "sigmoid_fwd", "sigmoid_bwd",
             "tanh_fwd", "tanh_bwd", "softmax_xent_fwd", "dropout_mask", "dropout_fwd",
             "dropout_bwd", "batch_norm_fwd", "batch_norm_bwd", "lrn_fwd", "lrn_bwd",
             "sgd_update", "adam_update", "add_fwd", "multiply_fwd", "concat_fwd",
             "zero_pad2d_fwd", "reduce_mean_fwd", "reduce_sum_fwd"]
    for name in names:
        assert callable(getattr(R, name)), name
    x32 = np.ones((1, 2, 2, 3), np.float32)
    for out in (R.relu_fwd(x32), R.bias_add_fwd(x32, np.ones(3, np.float32)), R.lrn_fwd(x32),
                R.maxpool2d_fwd(x32, 2, 1, 0), R.avgpool2d_fwd(x32, 2, 1, 0),
                R.dropout_fwd(x32, 0.5, 0, True)[0], R.zero_pad2d_fwd(x32, 1)):
        assert out.dtype == np.float64
