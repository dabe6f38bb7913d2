"""Inference plans (fastconv/keras/models/_plan.py): a model called with training off and no
tape recording runs its layers' inference steps from the second call with a given input shape
on. The plan must give the very bits of the normal path (forced here by a recording tape), see
weight changes, and step aside whenever it cannot promise that."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import fastconv as fc
from fastconv import keras


def _lab_cnn(dropout=0.4):
    return keras.Sequential([
        keras.layers.Conv2D(32, 3, activation=fc.nn.relu, padding="SAME", input_shape=(28, 28, 1)),
        keras.layers.MaxPool2D(padding="SAME"),
        keras.layers.Conv2D(64, 3, activation="relu", padding="SAME"),
        keras.layers.MaxPool2D(padding="SAME"),
        keras.layers.Conv2D(128, 3, activation="relu", padding="SAME"),
        keras.layers.MaxPool2D(padding="SAME"),
        keras.layers.Flatten(),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dropout(dropout),
        keras.layers.Dense(10),
    ])


def _normal(model, x):
    """The model's output(s) through Layer.__call__ and the ops (a recording tape disables
    plans and steps), as arrays."""
    with fc.GradientTape():
        out = model(x, training=False)
    return [t.numpy() for t in out] if isinstance(out, list) else out.numpy()


def _has_plan(model, x):
    plan = model.__dict__.get("_plans", {}).get((x.shape, x.dtype))
    return callable(plan)


def _rand(rng, shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("batch", [1, 3])
def test_sequential_plan_matches_normal_path(rng, batch):
    model = _lab_cnn()
    x = _rand(rng, (batch, 28, 28, 1))
    ref = _normal(model, x)
    first = model(x).numpy()    # first sight: normal path
    second = model(x).numpy()   # builds the plan
    third = model(x, training=False).numpy()
    assert _has_plan(model, x)
    np.testing.assert_array_equal(first, ref)
    np.testing.assert_array_equal(second, ref)
    np.testing.assert_array_equal(third, ref)
    assert third is not second  # every call returns a fresh array


def test_plan_sees_weight_updates(rng):
    model = _lab_cnn()
    x = _rand(rng, (2, 28, 28, 1))
    for _ in range(3):
        model(x)
    assert _has_plan(model, x)
    conv, dense = model.layers[0], model.layers[-1]
    conv.kernel.assign(conv.kernel.numpy() * 0.5)
    dense.bias.assign(np.arange(10, dtype=np.float32))
    np.testing.assert_array_equal(model(x).numpy(), _normal(model, x))
    model.set_weights([w * 1.5 for w in model.get_weights()])
    np.testing.assert_array_equal(model(x).numpy(), _normal(model, x))
    # an optimizer step updates the Variables' buffers in place
    opt = keras.optimizers.Adam(1e-2)
    y = np.eye(10, dtype=np.float32)[[1, 2]]
    before = model(x).numpy()
    with fc.GradientTape() as tape:
        loss = fc.reduce_mean(keras.losses.categorical_crossentropy(
            y, model(x, training=True), from_logits=True))
    opt.apply_gradients(zip(tape.gradient(loss, model.trainable_variables),
                            model.trainable_variables))
    after = model(x).numpy()
    assert not np.array_equal(after, before)
    np.testing.assert_array_equal(after, _normal(model, x))


def test_training_and_tapes_take_the_normal_path(rng):
    model = _lab_cnn(dropout=0.5)
    x = _rand(rng, (4, 28, 28, 1))
    for _ in range(3):
        model(x)
    inference = model(x).numpy()
    # training=True: dropout is active, so the output differs from inference
    assert not np.array_equal(model(x, training=True).numpy(), inference)
    # a recording tape gets gradients (the plan records nothing)
    with fc.GradientTape() as tape:
        out = fc.reduce_sum(model(x))
    grads = tape.gradient(out, model.trainable_variables)
    assert all(g is not None for g in grads)


def test_input_conversion_matches(rng):
    model = _lab_cnn()
    x64 = rng.standard_normal((2, 28, 28, 1))          # float64, as x / 255. gives
    xt = np.asfortranarray(_rand(rng, (2, 28, 28, 1)))  # not C-contiguous
    for x in (x64, xt):
        ref = _normal(model, np.asarray(x, np.float32))
        for _ in range(3):
            np.testing.assert_array_equal(model(x).numpy(), ref)
    assert _has_plan(model, x64.astype(np.float32))  # Tensor(x) made it float32


def test_changing_layers_drops_plans(rng):
    model = _lab_cnn()
    x = _rand(rng, (1, 28, 28, 1))
    model(x), model(x)
    assert _has_plan(model, x)
    model.pop()
    assert not _has_plan(model, x)
    out = [model(x).numpy() for _ in range(3)]
    assert out[-1].shape == (1, 256)
    np.testing.assert_array_equal(out[-1], _normal(model, x))
    model.add(keras.layers.Dense(3))
    assert model(x).shape == (1, 3) and model(x).shape == (1, 3)


class _DoubledDense(keras.layers.Dense):
    def call(self, inputs):
        return super().call(inputs) * 2.0


class _Custom(keras.layers.Layer):
    def call(self, inputs):
        return inputs + 1.0


@pytest.mark.parametrize("layer", [_DoubledDense(4), _Custom()], ids=["override", "custom"])
def test_layers_without_a_step_keep_the_normal_path(rng, layer):
    model = keras.Sequential([keras.layers.Dense(4, input_shape=(5,)), layer])
    x = _rand(rng, (3, 5))
    outs = [model(x).numpy() for _ in range(3)]
    assert model.__dict__["_plans"][(x.shape, x.dtype)] is None
    np.testing.assert_array_equal(outs[-1], _normal(model, x))
    if isinstance(layer, _DoubledDense):  # the override is honoured
        h = model.layers[0](x).numpy()
        np.testing.assert_allclose(outs[-1], 2.0 * (h @ layer.kernel.numpy() + layer.bias.numpy()),
                                   rtol=1e-5, atol=1e-5)


def _functional_net():
    inp = keras.Input(shape=(12, 12, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", use_bias=False)(inp)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU()(x)
    a = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    b = keras.layers.Conv2D(8, 1, activation="sigmoid")(x)
    x = keras.layers.Add()([a, b, x])
    c = keras.layers.AveragePooling2D(2)(x)
    d = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Concatenate()([c, d])
    x = keras.layers.ZeroPadding2D(1)(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(6, activation="tanh")(x)
    out1 = keras.layers.Softmax()(keras.layers.Dense(4)(x))
    out2 = keras.layers.Activation("linear")(x)
    return keras.Model(inp, [out1, out2])


def test_functional_plan_matches_normal_path(rng):
    model = _functional_net()
    bn = next(l for l in model.layers if isinstance(l, keras.layers.BatchNormalization))
    bn.moving_mean.assign(rng.standard_normal(8).astype(np.float32))
    bn.moving_variance.assign(rng.random(8).astype(np.float32) + 0.5)
    for batch in (1, 5):
        x = _rand(rng, (batch, 12, 12, 3))
        ref = _normal(model, x)
        for _ in range(3):
            got = model(x)
            assert isinstance(got, list) and len(got) == 2
            for g, r in zip(got, ref):
                np.testing.assert_array_equal(g.numpy(), r)
        assert _has_plan(model, x)


def test_functional_node_with_call_arguments_keeps_the_normal_path(rng):
    inp = keras.Input(shape=(6,))
    x = keras.layers.Dense(32)(inp)
    out = keras.layers.Dropout(0.5)(x, training=True)  # Monte-Carlo dropout, always on
    model = keras.Model(inp, out)
    x = np.ones((4, 6), np.float32)
    outs = [model(x).numpy() for _ in range(3)]
    assert model.__dict__["_plans"][(x.shape, x.dtype)] is None
    assert (outs[-1] == 0).any()  # dropout still applied


def test_copies_do_not_share_plans(rng):
    model = _lab_cnn()
    x = _rand(rng, (1, 28, 28, 1))
    model(x), model(x)
    clone = copy.deepcopy(model)
    assert not _has_plan(clone, x)
    clone.layers[-1].bias.assign(np.full(10, 7.0, np.float32))
    for _ in range(2):
        assert not np.array_equal(clone(x).numpy(), model(x).numpy())
    np.testing.assert_array_equal(model(x).numpy(), _normal(model, x))
    np.testing.assert_array_equal(clone(x).numpy(), _normal(clone, x))


def _count_fused(monkeypatch):
    from fastconv import _core
    calls = []
    real = _core.conv2d_maxpool_fwd

    def counting(*a):
        calls.append(a[1].shape)
        return real(*a)
    monkeypatch.setattr(_core, "conv2d_maxpool_fwd", counting)
    return calls


def test_conv_then_max_pool_run_as_one_call(rng, monkeypatch):
    # The Python steps (a Sequential whose steps are all native runs them in one
    # _core.InferencePlan instead, tested in test_keras_native_plan.py).
    from fastconv.keras.models import sequential
    monkeypatch.setattr(sequential, "native_plan", lambda shape, steps: None)
    calls = _count_fused(monkeypatch)
    model = _lab_cnn()
    x = _rand(rng, (2, 28, 28, 1))
    ref = _normal(model, x)
    model(x), model(x)
    del calls[:]
    np.testing.assert_array_equal(model(x).numpy(), ref)
    assert calls == [(3, 3, 1, 32), (3, 3, 32, 64), (3, 3, 64, 128)]


def test_functional_fuses_only_a_conv_read_by_its_pool_alone(rng, monkeypatch):
    calls = _count_fused(monkeypatch)
    inp = keras.Input(shape=(10, 10, 1))
    a = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(inp)
    p = keras.layers.MaxPooling2D(2)(a)                      # a is also read below: no fusion
    b = keras.layers.Conv2D(6, 3, padding="same")(p)
    q = keras.layers.MaxPooling2D(2, padding="same")(b)      # fused
    r = keras.layers.Flatten()(q)
    s = keras.layers.Flatten()(keras.layers.MaxPooling2D(5)(a))
    model = keras.Model(inp, keras.layers.Concatenate()([r, s]))
    x = _rand(rng, (3, 10, 10, 1))
    ref = _normal(model, x)
    model(x), model(x)
    del calls[:]
    np.testing.assert_array_equal(model(x).numpy(), ref)
    assert calls == [(3, 3, 4, 6)]


class _SubclassedCNN(keras.Model):
    """The lab's subclassed MNIST model: layers called one by one in call()."""

    def __init__(self):
        super().__init__()
        self.conv1 = keras.layers.Conv2D(8, 3, padding="SAME", activation=fc.nn.relu)
        self.pool1 = keras.layers.MaxPool2D(padding="SAME")
        self.bn = keras.layers.BatchNormalization()
        self.flat = keras.layers.Flatten()
        self.dense = keras.layers.Dense(16, activation=fc.nn.relu)
        self.drop = keras.layers.Dropout(0.5)
        self.out = keras.layers.Dense(10)

    def call(self, inputs, training=False):
        x = self.bn(self.pool1(self.conv1(inputs)), training=training)
        x = self.drop(self.dense(self.flat(x)), training=training)
        return self.out(x)


def test_layers_called_one_by_one_use_their_steps(rng):
    model = _SubclassedCNN()
    x = _rand(rng, (2, 12, 12, 1))
    model(x)
    model.bn.moving_mean.assign(rng.standard_normal(8).astype(np.float32))
    ref = _normal(model, x)
    outs = [model(x, training=False).numpy() for _ in range(3)]
    for o in outs:
        np.testing.assert_array_equal(o, ref)
    for layer in (model.conv1, model.pool1, model.bn, model.dense, model.out):
        steps = layer.__dict__["_steps"]
        assert any(callable(s) for s in steps.values()), layer.name
    # training=True still trains: dropout active, batch statistics used and moving stats moved
    before = model.bn.moving_mean.numpy()
    assert not np.array_equal(model(x, training=True).numpy(), ref)
    assert not np.array_equal(model.bn.moving_mean.numpy(), before)
    np.testing.assert_array_equal(model(x).numpy(), _normal(model, x))


def test_direct_layer_calls(rng):
    conv = keras.layers.Conv2D(5, (2, 3), strides=(1, 2), padding="same", activation="relu")
    x = _rand(rng, (1, 9, 8, 3))
    y = [conv(x).numpy() for _ in range(3)]
    with fc.GradientTape():
        ref = conv(x).numpy()
    assert all(np.array_equal(v, ref) for v in y)
    conv.kernel.assign(conv.kernel.numpy() + 1.0)  # seen by the step
    with fc.GradientTape():
        ref = conv(x).numpy()
    np.testing.assert_array_equal(conv(x).numpy(), ref)
