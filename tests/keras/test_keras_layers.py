"""Keras layers against compositions of the float64 reference ops: outputs, gradients, configs,
weights contract and bad-use errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

import fastconv as tf
from fastconv import keras, reference as ref
from fastconv.keras import layers

from assertions import assert_within


def _grads(layer, x, **kw):
    """y = layer(x); loss = sum(y * r) for a fixed random r -> (y, dL/dx, dL/dweights, r)."""
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = layer(xt, **kw)
        r = np.random.default_rng(1).standard_normal(y.shape).astype(np.float32)
        loss = tf.reduce_sum(y * r)
    g = tape.gradient(loss, [xt] + layer.trainable_variables)
    return y.numpy(), g[0].numpy(), [gi.numpy() for gi in g[1:]], r


def _close(actual, expected, what, scale=1.0):
    assert_within(np.asarray(actual), np.asarray(expected), 1e-4 * scale, what)


def test_conv2d_forward_and_gradients_match_reference(rng):
    x = rng.standard_normal((2, 7, 6, 3)).astype(np.float32)
    layer = layers.Conv2D(4, 3, strides=2, padding="SAME", activation="relu")
    y, dx, (dw, db), r = _grads(layer, x)
    w, b = layer.get_weights()
    pads = ((1, 1), (0, 1))  # TensorFlow 'SAME' for 7x6, kernel 3, stride 2
    z = ref.conv2d_fwd(x, w, b, (2, 2), pads)
    _close(y, np.maximum(z, 0), "conv2d relu forward", 10)
    dz = np.where(z > 0, r, 0)
    _close(dx, ref.conv2d_bwd_data(dz, w, x.shape, (2, 2), pads), "conv2d dx", 10)
    rdw, rdb = ref.conv2d_bwd_filter(x, dz, w.shape, (2, 2), pads)
    _close(dw, rdw, "conv2d dw", 10)
    _close(db, rdb, "conv2d db", 10)


def test_conv2d_lab_constant_kernel_valid_and_dilation():
    # conv basics lab: image (1,3,3,1), weight (2,2,1,3), padding VALID
    image = np.arange(1, 10, dtype=np.float32).reshape(1, 3, 3, 1)
    weight = np.array([[[[1., 10., -1.]], [[1., 10., -1.]]],
                       [[[1., 10., -1.]], [[1., 10., -1.]]]], np.float32)
    conv = layers.Conv2D(filters=3, kernel_size=2, padding="VALID",
                         kernel_initializer=keras.initializers.Constant(weight))(image)
    assert conv.shape == (1, 2, 2, 3)
    np.testing.assert_allclose(conv.numpy()[0, :, :, 0], [[12, 16], [24, 28]])
    np.testing.assert_allclose(conv.numpy()[0, :, :, 1], [[120, 160], [240, 280]])
    dil = layers.Conv2D(2, 2, dilation_rate=2, use_bias=False)
    y = dil(np.ones((1, 5, 5, 1), np.float32))
    assert y.shape == (1, 3, 3, 2) and len(dil.weights) == 1


def test_pooling_layers_match_reference(rng):
    x = rng.standard_normal((2, 5, 5, 3)).astype(np.float32)
    for cls, fwd, bwd in ((layers.MaxPool2D, ref.maxpool2d_fwd, "max"),
                          (layers.AveragePooling2D, ref.avgpool2d_fwd, "avg")):
        layer = cls(pool_size=(2, 2), strides=1, padding="same")
        y, dx, _, r = _grads(layer, x)
        pads = ((0, 1), (0, 1))
        _close(y, fwd(x, (2, 2), (1, 1), pads), f"{bwd} pool forward")
        expect = (ref.maxpool2d_bwd(x, r, (2, 2), (1, 1), pads) if bwd == "max"
                  else ref.avgpool2d_bwd(r, x.shape, (2, 2), (1, 1), pads))
        _close(dx, expect, f"{bwd} pool dx")
    assert layers.MaxPooling2D is layers.MaxPool2D
    y = layers.MaxPool2D(padding="SAME")(np.zeros((1, 7, 7, 2), np.float32))
    assert y.shape == (1, 4, 4, 2)


def test_global_pools_and_zero_padding(rng):
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    y, dx, _, r = _grads(layers.GlobalAveragePooling2D(), x)
    _close(y, ref.global_avgpool2d_fwd(x), "gap")
    _close(dx, ref.global_avgpool2d_bwd(r, x.shape), "gap dx")
    y, dx, _, r = _grads(layers.GlobalMaxPooling2D(), x)
    _close(y, ref.global_maxpool2d_fwd(x), "gmp")
    _close(dx, ref.global_maxpool2d_bwd(x, r), "gmp dx")
    y, dx, _, r = _grads(layers.ZeroPadding2D(((1, 0), (2, 1))), x)
    _close(y, ref.zero_pad2d_fwd(x, ((1, 0), (2, 1))), "zero pad")
    _close(dx, ref.zero_pad2d_bwd(r, ((1, 0), (2, 1))), "zero pad dx")


def test_dense_flatten_and_activations(rng):
    x = rng.standard_normal((3, 2, 2, 2)).astype(np.float32)
    model = keras.Sequential([layers.Flatten(input_shape=(2, 2, 2)),
                              layers.Dense(5, activation="tanh"), layers.Dense(4),
                              layers.Softmax()])
    y = model(x).numpy()
    w1, b1, w2, b2 = model.get_weights()
    h = np.tanh(x.reshape(3, -1) @ w1 + b1)
    _close(y, ref.softmax_fwd(h @ w2 + b2), "dense stack")
    for name, fn in (("relu", ref.relu_fwd), ("sigmoid", ref.sigmoid_fwd),
                     ("tanh", ref.tanh_fwd), ("linear", lambda v: v)):
        _close(layers.Activation(name)(x).numpy(), fn(x), name)
    _close(layers.ReLU()(x).numpy(), ref.relu_fwd(x), "ReLU layer")
    # Dense on a rank-3 input acts on the last axis, as Keras
    d = layers.Dense(3)
    out = d(rng.standard_normal((2, 4, 5)).astype(np.float32))
    assert out.shape == (2, 4, 3)


def test_dense_gradients_fused_relu(rng):
    x = rng.standard_normal((4, 6)).astype(np.float32)
    layer = layers.Dense(3, activation=tf.nn.relu)
    y, dx, (dw, db), r = _grads(layer, x)
    w, b = layer.get_weights()
    z = x.astype(np.float64) @ w + b
    dz = np.where(z > 0, r, 0)
    _close(y, np.maximum(z, 0), "dense fwd")
    _close(dx, dz @ w.T, "dense dx")
    _close(dw, x.T.astype(np.float64) @ dz, "dense dw")
    _close(db, dz.sum(0), "dense db")


def test_dropout_training_flag_and_seed():
    x = np.ones((4, 50), np.float32)
    layer = layers.Dropout(0.5)
    np.testing.assert_array_equal(layer(x).numpy(), x)            # inference: identity
    tf.random.set_seed(3)
    a = layer(x, training=True).numpy()
    tf.random.set_seed(3)
    b = layer(x, training=True).numpy()
    np.testing.assert_array_equal(a, b)
    assert set(np.unique(a)) <= {0.0, 2.0} and 0.3 < (a == 0).mean() < 0.7
    c = layer(x, training=True).numpy()
    assert not np.array_equal(a, c)                               # a new mask per call


def test_batch_norm_training_inference_and_moving_stats(rng):
    x = (rng.standard_normal((8, 3, 3, 4)) * 2 + 1).astype(np.float32)
    bn = layers.BatchNormalization()
    y, dx, (dg, dbeta), r = _grads(bn, x, training=True)
    g, b, mm, mv = bn.get_weights()
    ry, nmm, nmv, mean, invstd = ref.batch_norm_fwd(x, np.ones(4), np.zeros(4), np.zeros(4),
                                                    np.ones(4), True)
    _close(y, ry, "bn train fwd")
    _close(mm, nmm, "moving mean")
    _close(mv, nmv, "moving var")
    rdx, rdg, rdb = ref.batch_norm_bwd(r, x, np.ones(4), mean, invstd)
    _close(dx, rdx, "bn dx")
    _close(dg, rdg, "bn dgamma", 10)
    _close(dbeta, rdb, "bn dbeta", 10)
    assert [v.name for v in bn.trainable_variables] == [bn.name + "/gamma", bn.name + "/beta"]
    assert len(bn.non_trainable_variables) == 2
    before = bn.get_weights()
    yi = bn(x).numpy()  # inference uses moving stats and changes nothing
    _close(yi, ref.batch_norm_fwd(x, g, b, mm, mv, False)[0], "bn inference")
    for a, c in zip(before, bn.get_weights()):
        np.testing.assert_array_equal(a, c)


def test_lrn_layer_matches_reference(rng):
    x = rng.standard_normal((2, 3, 3, 7)).astype(np.float32)
    layer = layers.LocalResponseNormalization(depth_radius=2, bias=2.0, alpha=1e-1, beta=0.75)
    y, dx, _, r = _grads(layer, x)
    _close(y, ref.lrn_fwd(x, 2, 2.0, 1e-1, 0.75), "lrn")
    _close(dx, ref.lrn_bwd(x, r, 2, 2.0, 1e-1, 0.75), "lrn dx")
    _close(tf.nn.local_response_normalization(x, 2, 2.0, 1e-1, 0.75).numpy(), y, "tf.nn.lrn")


def test_add_concatenate_and_their_errors(rng):
    a = rng.standard_normal((2, 3, 3, 2)).astype(np.float32)
    b = rng.standard_normal((2, 3, 3, 5)).astype(np.float32)
    _close(layers.Add()([a, a]).numpy(), 2 * a, "add")
    _close(layers.Concatenate()([a, b]).numpy(), np.concatenate([a, b], -1), "concat")
    with pytest.raises(ValueError, match=r"add.*incompatible shapes.*\(2, 3, 3, 2\).*\(2, 3, 3, 5\)"):
        layers.Add(name="add_bad")([a, b])
    with pytest.raises(ValueError, match="Concatenate.*axis 1"):
        layers.Concatenate(axis=1)([a, b])
    i1, i2 = keras.Input((4,)), keras.Input((5,))
    with pytest.raises(ValueError, match="incompatible shapes"):
        layers.Add()([i1, i2])
    assert layers.Concatenate()([i1, i2]).shape == (None, 9)


def test_wrong_rank_inputs_name_the_layer():
    with pytest.raises(ValueError, match=r'layer "c2d".*expected ndim=4, found ndim=2'):
        layers.Conv2D(2, 3, name="c2d")(np.zeros((3, 4), np.float32))
    with pytest.raises(ValueError, match=r'expected ndim=4, found ndim=3'):
        layers.MaxPool2D()(keras.Input((4, 4)))
    with pytest.raises(ValueError, match="min_ndim=2"):
        layers.Dense(2)(np.zeros(3, np.float32))
    with pytest.raises(TypeError, match="unexpected keyword"):
        layers.Dense(2, kernel_size=3)


_ALL_LAYERS = [
    lambda: layers.Conv2D(4, (3, 2), strides=2, padding="same", activation="relu",
                          use_bias=False, kernel_initializer="he_normal", dilation_rate=1),
    lambda: layers.Dense(3, activation="softmax", bias_initializer=keras.initializers.Constant(0.5)),
    lambda: layers.MaxPooling2D((3, 3), strides=2, padding="same"),
    lambda: layers.AveragePooling2D(),
    lambda: layers.GlobalAveragePooling2D(), lambda: layers.GlobalMaxPooling2D(keepdims=True),
    lambda: layers.ZeroPadding2D(2), lambda: layers.Flatten(), lambda: layers.Reshape((-1, 2)),
    lambda: layers.Dropout(0.25, seed=4), lambda: layers.BatchNormalization(momentum=0.9),
    lambda: layers.Activation("sigmoid"), lambda: layers.ReLU(), lambda: layers.Softmax(),
    lambda: layers.Add(), lambda: layers.Concatenate(axis=-1),
    lambda: layers.LocalResponseNormalization(2, 2.0, 1e-4, 0.75),
    lambda: layers.InputLayer(shape=(8, 8, 2)),
]


@pytest.mark.parametrize("make", _ALL_LAYERS)
def test_get_config_round_trips_through_json(make):
    layer = make()
    cfg = layers.serialize(layer)
    again = layers.deserialize(json.loads(json.dumps(cfg)))
    assert type(again) is type(layer)
    assert again.get_config() == layer.get_config()


def test_set_weights_checks_count_and_shapes_before_changing_anything():
    layer = layers.Dense(3, name="d_sw")
    layer(np.zeros((1, 4), np.float32))
    w = layer.get_weights()
    with pytest.raises(ValueError, match=r"layer 'd_sw' \(Dense\) expects 2 weight arrays, got 1"):
        layer.set_weights([w[0]])
    with pytest.raises(ValueError, match=r"'d_sw/bias' has shape \(3,\), got an array of shape \(4,\)"):
        layer.set_weights([w[0] + 1, np.zeros(4)])
    np.testing.assert_array_equal(layer.get_weights()[0], w[0])  # untouched
    layer.set_weights([w[0] * 2, w[1] + 1])
    np.testing.assert_array_equal(layer.get_weights()[1], w[1] + 1)
    assert layer.count_params() == 15
    with pytest.raises(ValueError, match="isn't built"):
        layers.Dense(2).count_params()


def test_initializers_follow_keras_definitions():
    init = keras.initializers
    assert init.compute_fans((3, 3, 16, 32)) == (144, 288)
    tf.random.set_seed(1)
    w = init.GlorotUniform()((3, 3, 64, 64))
    limit = np.sqrt(6 / (9 * 64 * 2))
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.95 * limit
    w = init.glorot_normal()((3, 3, 64, 64))
    assert abs(w.std() - np.sqrt(2 / (9 * 64 * 2))) < 0.05 * w.std()
    assert np.abs(w).max() <= 2 * np.sqrt(2 / (9 * 64 * 2)) / .87962566103423978 + 1e-6
    w = init.get("he_normal")((300, 200))
    assert abs(w.std() - np.sqrt(2 / 300)) < 0.03 * w.std()
    w = init.HeUniform()((300, 200))
    assert np.abs(w).max() <= np.sqrt(6 / 300)
    a, b = init.RandomNormal(1.0, 0.1, seed=5), init.RandomNormal(1.0, 0.1, seed=5)
    np.testing.assert_array_equal(a((10,)), b((10,)))
    assert init.RandomUniform(2, 3)((100,)).min() >= 2
    assert (init.get("zeros")((2,)) == 0).all() and (init.ones()((2,)) == 1).all()
    np.testing.assert_array_equal(init.Constant([1, 2, 3, 4])((2, 2)), [[1, 2], [3, 4]])
    with pytest.raises(ValueError, match="unknown name"):
        init.get("glorot_magic")


def test_seed_makes_initialization_reproducible():
    tf.random.set_seed(777)
    a = layers.Conv2D(3, 3)
    a(np.zeros((1, 4, 4, 1), np.float32))
    keras.utils.set_random_seed(777)
    b = layers.Conv2D(3, 3)
    b(np.zeros((1, 4, 4, 1), np.float32))
    np.testing.assert_array_equal(a.get_weights()[0], b.get_weights()[0])


def test_subclassed_layer_with_add_weight(rng):
    class Scale(layers.Layer):
        def build(self, input_shape):
            self.s = self.add_weight("s", (input_shape[-1],), "ones")
            self.extra = tf.Variable(np.zeros(2, np.float32), trainable=False, name="extra")

        def call(self, inputs):
            return inputs * self.s

    layer = Scale()
    x = rng.standard_normal((2, 3)).astype(np.float32)
    y, dx, (ds,), r = _grads(layer, x)
    _close(ds, (x * r).sum(0), "custom layer grad")
    assert len(layer.weights) == 2 and len(layer.trainable_weights) == 1
    assert keras.Input((3,)).shape == (None, 3)
    assert layer(keras.Input((3,))).shape == (None, 3)   # shape inferred by a dummy call


def test_batch_norm_inference_gradients(rng):
    x = rng.standard_normal((4, 2, 2, 3)).astype(np.float32)
    bn = layers.BatchNormalization()
    bn(x)
    g, b = np.array([0.5, 2.0, -1.0], np.float32), np.array([0.1, 0.2, 0.3], np.float32)
    mm, mv = np.array([0.2, -0.1, 0.0], np.float32), np.array([1.5, 0.5, 2.0], np.float32)
    bn.set_weights([g, b, mm, mv])
    y, dx, (dg, db), r = _grads(bn, x, training=False)
    invstd = 1 / np.sqrt(mv.astype(np.float64) + 1e-3)
    _close(y, g * (x - mm) * invstd + b, "bn inference fwd")
    _close(dx, r * g * invstd, "bn inference dx")
    _close(dg, (r * (x - mm) * invstd).reshape(-1, 3).sum(0), "bn inference dgamma")
    _close(db, r.reshape(-1, 3).sum(0), "bn inference dbeta")
