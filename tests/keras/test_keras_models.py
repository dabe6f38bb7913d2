"""The three model styles of the labs (Sequential, functional, subclassed), summary, configs."""

from __future__ import annotations

import json

import numpy as np
import pytest

import fastconv as tf
from fastconv import keras
from fastconv.keras import layers


def lab_sequential():
    model = keras.Sequential()
    model.add(layers.Conv2D(filters=32, kernel_size=3, activation=tf.nn.relu, padding="SAME",
                            input_shape=(28, 28, 1)))
    model.add(layers.MaxPool2D(padding="SAME"))
    model.add(layers.Conv2D(filters=64, kernel_size=3, activation=tf.nn.relu, padding="SAME"))
    model.add(layers.MaxPool2D(padding="SAME"))
    model.add(layers.Conv2D(filters=128, kernel_size=3, activation=tf.nn.relu, padding="SAME"))
    model.add(layers.MaxPool2D(padding="SAME"))
    model.add(layers.Flatten())
    model.add(layers.Dense(256, activation=tf.nn.relu))
    model.add(layers.Dropout(0.4))
    model.add(layers.Dense(10))
    return model


def lab_functional():
    inputs = keras.Input(shape=(28, 28, 1))
    conv1 = layers.Conv2D(filters=32, kernel_size=[3, 3], padding="SAME", activation=tf.nn.relu)(inputs)
    pool1 = layers.MaxPool2D(padding="SAME")(conv1)
    conv2 = layers.Conv2D(filters=64, kernel_size=[3, 3], padding="SAME", activation=tf.nn.relu)(pool1)
    pool2 = layers.MaxPool2D(padding="SAME")(conv2)
    conv3 = layers.Conv2D(filters=128, kernel_size=[3, 3], padding="SAME", activation=tf.nn.relu)(pool2)
    pool3 = layers.MaxPool2D(padding="SAME")(conv3)
    pool3_flat = layers.Flatten()(pool3)
    dense4 = layers.Dense(units=256, activation=tf.nn.relu)(pool3_flat)
    drop4 = layers.Dropout(rate=0.4)(dense4)
    logits = layers.Dense(units=10)(drop4)
    return keras.Model(inputs=inputs, outputs=logits)


class MNISTModel(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.conv1 = layers.Conv2D(filters=32, kernel_size=[3, 3], padding="SAME", activation=tf.nn.relu)
        self.pool1 = layers.MaxPool2D(padding="SAME")
        self.conv2 = layers.Conv2D(filters=64, kernel_size=[3, 3], padding="SAME", activation=tf.nn.relu)
        self.pool2 = layers.MaxPool2D(padding="SAME")
        self.conv3 = layers.Conv2D(filters=128, kernel_size=[3, 3], padding="SAME", activation=tf.nn.relu)
        self.pool3 = layers.MaxPool2D(padding="SAME")
        self.pool3_flat = layers.Flatten()
        self.dense4 = layers.Dense(units=256, activation=tf.nn.relu)
        self.drop4 = layers.Dropout(rate=0.4)
        self.dense5 = layers.Dense(units=10)

    def call(self, inputs, training=False):
        net = self.conv1(inputs)
        net = self.pool1(net)
        net = self.conv2(net)
        net = self.pool2(net)
        net = self.conv3(net)
        net = self.pool3(net)
        net = self.pool3_flat(net)
        net = self.dense4(net)
        net = self.drop4(net)
        net = self.dense5(net)
        return net


EXPECTED_SUMMARY = """\
Model: "sequential"
_________________________________________________________________
Layer (type)                 Output Shape              Param #   
=================================================================
conv2d (Conv2D)              (None, 28, 28, 32)        320       
_________________________________________________________________
max_pooling2d (MaxPooling2D) (None, 14, 14, 32)        0         
_________________________________________________________________
conv2d_1 (Conv2D)            (None, 14, 14, 64)        18496     
_________________________________________________________________
max_pooling2d_1 (MaxPooling2 (None, 7, 7, 64)          0         
_________________________________________________________________
conv2d_2 (Conv2D)            (None, 7, 7, 128)         73856     
_________________________________________________________________
max_pooling2d_2 (MaxPooling2 (None, 4, 4, 128)         0         
_________________________________________________________________
flatten (Flatten)            (None, 2048)              0         
_________________________________________________________________
dense (Dense)                (None, 256)               524544    
_________________________________________________________________
dropout (Dropout)            (None, 256)               0         
_________________________________________________________________
dense_1 (Dense)              (None, 10)                2570      
=================================================================
Total params: 619,786
Trainable params: 619,786
Non-trainable params: 0
_________________________________________________________________"""


def test_lab_sequential_summary_matches_keras(capsys):
    keras.backend.clear_session()
    model = lab_sequential()
    model.summary()
    assert capsys.readouterr().out.rstrip("\n") == EXPECTED_SUMMARY
    assert model.count_params() == 619786
    assert [layer.count_params() for layer in model.layers] == [
        320, 0, 18496, 0, 73856, 0, 0, 524544, 0, 2570]
    assert len(model.trainable_variables) == 10 and model.non_trainable_variables == []


def test_three_styles_same_weights_same_outputs(rng):
    seq, fun, sub = lab_sequential(), lab_functional(), MNISTModel()
    x = rng.random((2, 28, 28, 1), dtype=np.float32)
    sub(x)  # a subclassed model builds on its first call
    weights = seq.get_weights()
    assert [w.shape for w in fun.get_weights()] == [w.shape for w in weights]
    fun.set_weights(weights)
    sub.set_weights(weights)
    a = seq(x).numpy()
    np.testing.assert_array_equal(fun(x).numpy(), a)
    np.testing.assert_array_equal(sub(x).numpy(), a)
    assert fun.count_params() == sub.count_params() == 619786
    assert len(sub.layers) == 10


def test_functional_summary_has_input_layer(capsys):
    keras.backend.clear_session()
    model = lab_functional()
    model.summary()
    out = capsys.readouterr().out.splitlines()
    assert out[0] == 'Model: "model"'
    assert out[4].startswith("input_layer (InputLayer)     [(None, 28, 28, 1)]       0")
    assert out[-4:-1] == ["Total params: 619,786", "Trainable params: 619,786",
                          "Non-trainable params: 0"]


def _inception_resnet_model():
    inputs = keras.Input((8, 8, 3))
    x = layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    b1 = layers.Conv2D(4, 1, activation="relu")(x)
    b2 = layers.Conv2D(4, 3, padding="same", activation="relu")(x)
    b3 = layers.MaxPool2D(3, strides=1, padding="same")(x)
    cat = layers.Concatenate()([b1, b2, b3])                 # (8, 8, 16)
    y = layers.Conv2D(8, 1)(cat)
    y = layers.BatchNormalization()(y)
    res = layers.Activation("relu")(layers.Add()([x, y]))    # skip connection
    out = layers.Dense(3, activation="softmax")(layers.GlobalAveragePooling2D()(res))
    return keras.Model(inputs, out, name="incres")


def test_functional_dag_branches_merges_and_config_round_trip(rng, capsys):
    model = _inception_resnet_model()
    assert model.output_shape == (None, 3)
    x = rng.standard_normal((2, 8, 8, 3)).astype(np.float32)
    y = model(x).numpy()
    np.testing.assert_allclose(y.sum(1), 1, rtol=1e-5)
    # same graph rebuilt from its JSON config with the same weights gives the same outputs
    clone = keras.Model.from_config(json.loads(json.dumps(model.get_config())))
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone(x).numpy(), y, rtol=1e-6, atol=1e-7)
    model.summary()
    text = capsys.readouterr().out
    assert "Connected to" in text and "Total params:" in text
    # gradients reach every trainable variable through both branches
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(model(x, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    assert all(g is not None for g in grads)


def test_sequential_config_round_trip_and_clone(rng):
    model = lab_sequential()
    cfg = json.loads(json.dumps(model.get_config()))
    assert cfg["layers"][0]["class_name"] == "InputLayer"
    again = keras.Sequential.from_config(cfg)
    again.set_weights(model.get_weights())
    x = rng.random((1, 28, 28, 1), dtype=np.float32)
    np.testing.assert_array_equal(again(x).numpy(), model(x).numpy())
    assert keras.models.clone_model(model).count_params() == 619786


class ConvBNRelu(tf.keras.Model):
    def __init__(self, filters, kernel_size=3, strides=1, padding="SAME"):
        super().__init__()
        self.conv = layers.Conv2D(filters=filters, kernel_size=kernel_size, strides=strides,
                                  padding=padding, kernel_initializer="glorot_normal")
        self.batchnorm = layers.BatchNormalization()

    def call(self, inputs, training=False):
        layer = self.conv(inputs)
        layer = self.batchnorm(layer)
        return tf.nn.relu(layer)


class BestModel(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.blocks = [ConvBNRelu(4), ConvBNRelu(8)]
        self.pool = layers.MaxPool2D(padding="SAME")
        self.flat = layers.Flatten()
        self.head = {"dense": layers.Dense(10, kernel_initializer=tf.keras.initializers.glorot_normal())}

    def call(self, inputs, training=False):
        net = inputs
        for block in self.blocks:
            net = self.pool(block(net))       # training is not passed: inherited from the call
        return self.head["dense"](self.flat(net))


def test_subclassed_nesting_tracks_lists_dicts_and_training_flag(rng):
    model = BestModel()
    x = rng.standard_normal((4, 8, 8, 1)).astype(np.float32)
    model(x)
    assert model.count_params() == (40 + 16) + (296 + 32) + 330
    assert len(model.trainable_variables) == 4 * 2 + 2
    assert len(model.non_trainable_variables) == 4
    bn = model.blocks[0].batchnorm
    before = bn.moving_mean.numpy()
    model(x)                                   # inference: moving stats unchanged
    np.testing.assert_array_equal(bn.moving_mean.numpy(), before)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(model(x, training=True))
    assert not np.array_equal(bn.moving_mean.numpy(), before)   # training reached the block
    grads = tape.gradient(loss, model.variables)
    kinds = [g is None for g in grads]
    assert kinds.count(True) == 4                                 # moving stats get None
    opt = keras.optimizers.Adam()
    opt.apply_gradients(zip(grads, model.variables))              # None gradients are skipped


def test_unbuilt_and_bad_models_raise_clear_errors(rng):
    with pytest.raises(ValueError, match="not yet been built"):
        MNISTModel().summary()
    inputs, other = keras.Input((4,)), keras.Input((4,))
    out = layers.Add()([inputs, other])
    with pytest.raises(ValueError, match="graph disconnected"):
        keras.Model(inputs=inputs, outputs=out)
    model = keras.Model(inputs=[inputs, other], outputs=out)
    np.testing.assert_allclose(model([np.ones((2, 4)), np.ones((2, 4))]).numpy(), 2)
    with pytest.raises(ValueError, match=r"expected shape=\(None, 4\), found shape=\(2, 5\)"):
        model([np.ones((2, 5)), np.ones((2, 4))])
    seq = lab_sequential()
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=2"):
        seq(np.zeros((2, 784), np.float32))
    with pytest.raises(ValueError, match="expects 10 weight arrays, got 9"):
        seq.set_weights(seq.get_weights()[:-1])


def test_sequential_built_lazily_and_nested(rng):
    inner = keras.Sequential([layers.Dense(4, activation="relu"), layers.Dense(2)])
    assert not inner.built
    x = rng.standard_normal((3, 5)).astype(np.float32)
    assert inner(x).shape == (3, 2)
    inputs = keras.Input((5,))
    outer = keras.Model(inputs, layers.Softmax()(inner(inputs)))
    assert outer.count_params() == inner.count_params() == 5 * 4 + 4 + 4 * 2 + 2
    np.testing.assert_allclose(outer(x).numpy().sum(1), 1, rtol=1e-6)
    sub = MNISTModel()
    sub.build((None, 28, 28, 1))
    assert sub.count_params() == 619786


def test_freezing_and_forgotten_super_init(rng):
    model = keras.Sequential([layers.Dense(4, input_shape=(3,)), layers.BatchNormalization(),
                              layers.Dense(2)])
    model.layers[0].trainable = False
    model.layers[1].trainable = False
    assert len(model.trainable_variables) == 2 and len(model.non_trainable_variables) == 6
    x = rng.standard_normal((8, 3)).astype(np.float32)
    before = model.layers[1].moving_mean.numpy()
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(model(x, training=True))
    grads = tape.gradient(loss, model.variables)
    assert [g is None for g in grads] == [True] * 6 + [False] * 2
    np.testing.assert_array_equal(model.layers[1].moving_mean.numpy(), before)  # frozen BN

    class Forgot(keras.Model):
        def __init__(self):
            self.d = layers.Dense(2)

        def call(self, inputs):
            return self.d(inputs)

    with pytest.raises(RuntimeError, match=r"super\(\).__init__\(\)"):
        Forgot()(x)
