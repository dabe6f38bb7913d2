"""Optimizers, losses, metrics, compile/fit/evaluate/predict, callbacks and the TF-style names."""

from __future__ import annotations

import gzip
import os

import numpy as np
import pytest

import fastconv as tf
from fastconv import keras, reference as ref
from fastconv.keras import layers

from assertions import assert_within
from conftest import SHARED_DATA


def _close(actual, expected, what, bound=1e-5):
    assert_within(np.asarray(actual), np.asarray(expected), bound, what)


# ---- optimizers ------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["sgd", "momentum", "nesterov", "adam"])
def test_optimizers_follow_reference_over_steps(kind, rng):
    p0 = rng.standard_normal((3, 4)).astype(np.float32)
    grads = [rng.standard_normal((3, 4)).astype(np.float32) for _ in range(4)]
    var = tf.Variable(p0)
    if kind == "adam":
        opt = keras.optimizers.Adam(learning_rate=0.01)
    else:
        opt = keras.optimizers.SGD(learning_rate=0.1, momentum=0.0 if kind == "sgd" else 0.9,
                                   nesterov=kind == "nesterov")
    p, m, v, vel = p0.astype(np.float64), np.zeros((3, 4)), np.zeros((3, 4)), None
    for step, g in enumerate(grads, 1):
        opt.apply_gradients([(g, var)])
        if kind == "adam":
            p, m, v = ref.adam_update(p, g, m, v, 0.01, step=step)
        else:
            p, vel = ref.sgd_update(p, g, vel, 0.1, opt.momentum, opt.nesterov)
    _close(var.numpy(), p, f"{kind} after 4 steps")
    assert opt.iterations == 4


def test_apply_gradients_skips_none_and_checks_shapes_first():
    a, b = tf.Variable(np.ones(2, np.float32)), tf.Variable(np.ones(3, np.float32))
    opt = keras.optimizers.SGD(learning_rate=1.0)
    with pytest.raises(ValueError, match=r"gradient for variable .* has shape \(2,\), the variable has shape \(3,\)"):
        opt.apply_gradients([(np.ones(2), a), (np.ones(2), b)])
    np.testing.assert_array_equal(a.numpy(), 1)          # nothing half-updated
    opt.apply_gradients([(np.ones(2, np.float32), a), (None, b)])
    np.testing.assert_array_equal(a.numpy(), 0)
    np.testing.assert_array_equal(b.numpy(), 1)
    assert isinstance(keras.optimizers.get("adam"), keras.optimizers.Adam)
    assert keras.optimizers.Adam().get_config()["epsilon"] == 1e-7


# ---- losses and metrics ----------------------------------------------------------------------
def test_crossentropy_values_and_gradients_match_reference(rng):
    logits = rng.standard_normal((5, 4)).astype(np.float32)
    ids = np.array([0, 3, 1, 1, 2])
    onehot = keras.utils.to_categorical(ids, 4)
    loss_ref, dlogits = ref.softmax_xent_fwd(logits, ids)
    z = tf.constant(logits)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(z)
        a = tf.reduce_mean(keras.losses.categorical_crossentropy(onehot, z, from_logits=True))
        b = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(ids, z)
        c = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=onehot, logits=z))
        p = tf.nn.softmax(z)
        d = keras.losses.CategoricalCrossentropy()(onehot, p)
    for name, val in (("cce", a), ("scce", b), ("tf.nn xent", c), ("cce probs", d)):
        _close(float(val), loss_ref, name, 1e-5)
        _close(tape.gradient(val, z).numpy(), dlogits, f"{name} grad", 1e-6)
    per = keras.losses.sparse_categorical_crossentropy(ids[:, None], z, from_logits=True)
    assert per.shape == (5,)
    with pytest.raises(ValueError, match="class ids must be in"):
        keras.losses.sparse_categorical_crossentropy(np.array([0, 9, 0, 0, 0]), z)


def test_accuracy_metric_picks_variant_and_to_categorical():
    pred = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]], np.float32)
    for labels in (np.array([1, 1, 1]), np.array([[1], [1], [1]]),
                   keras.utils.to_categorical([1, 1, 1], 2)):
        m = keras.metrics.get("accuracy")
        m.update_state(labels, pred)
        assert m.result() == pytest.approx(2 / 3)
    y = keras.utils.to_categorical([2, 0], num_classes=3)
    np.testing.assert_array_equal(y, [[0, 0, 1], [1, 0, 0]])
    assert y.dtype == np.float32
    with pytest.raises(ValueError, match="out of range"):
        keras.utils.to_categorical([3], 3)


def test_tf_style_names():
    logits = tf.constant(np.array([[1.0, 3.0], [2.0, 0.0]], np.float32))
    labels = np.array([[0, 1], [0, 1]], np.float32)
    correct = tf.equal(tf.argmax(logits, 1), tf.argmax(labels, 1))
    acc = tf.reduce_mean(tf.cast(correct, tf.float32))
    assert float(acc) == 0.5 and acc.numpy().dtype == np.float32
    assert tf.argmax(np.array([3, 1, 5])).numpy() == 2
    assert tf.keras is keras and tf.nn.relu is keras.activations.relu
    np.testing.assert_array_equal(tf.one_hot([1], 3).numpy(), [[0, 1, 0]])
    # tf.nn.relu between functional layers adds an Activation layer
    inputs = keras.Input((3,))
    model = keras.Model(inputs, tf.nn.relu(layers.Dense(2)(inputs)))
    assert isinstance(model.layers[-1], layers.Activation)


# ---- fit / evaluate / predict ----------------------------------------------------------------
def _idx(name, count):
    """The first `count` records of an IDX file (reading only those bytes)."""
    with gzip.open(os.path.join(SHARED_DATA, "mnist", name), "rb") as f:
        head = f.read(4)
        ndim = head[3]
        dims = [int.from_bytes(f.read(4), "big") for _ in range(ndim)]
        dims[0] = count
        data = f.read(int(np.prod(dims)))
    return np.frombuffer(data, np.uint8).reshape(dims)


@pytest.fixture(scope="module")
def mnist_small():
    if not os.path.isdir(os.path.join(SHARED_DATA, "mnist")):
        pytest.skip(f"MNIST not found under {SHARED_DATA}")
    x = _idx("train-images-idx3-ubyte.gz", 600).astype(np.float32)[..., None] / 255.0
    y = _idx("train-labels-idx1-ubyte.gz", 600).astype(np.int64)
    return x, y


def _small_cnn():
    return keras.Sequential([
        layers.Conv2D(8, 3, strides=2, activation="relu", padding="same", input_shape=(28, 28, 1)),
        layers.MaxPool2D(),
        layers.Flatten(),
        layers.Dense(10),
    ])


def test_fit_on_mnist_learns_in_one_epoch(mnist_small, capsys):
    x, y = mnist_small
    tf.random.set_seed(0)
    model = _small_cnn()
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    hist = model.fit(x[:500], y[:500], batch_size=50, epochs=1, verbose=2,
                     validation_data=(x[500:], y[500:]))
    out = capsys.readouterr().out
    assert "Epoch 1/1" in out and "img/s" in out and "val_accuracy" in out
    assert set(hist.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert hist.history["val_accuracy"][0] > 0.4         # chance is 0.1
    loss, acc = model.evaluate(x[500:], y[500:], verbose=0)
    assert acc == pytest.approx(hist.history["val_accuracy"][0])
    pred = model.predict(x[500:], batch_size=32, verbose=0)
    assert pred.shape == (100, 10)
    assert (pred.argmax(1) == y[500:]).mean() == pytest.approx(acc)


def test_fit_is_reproducible_with_set_seed(mnist_small):
    x, y = mnist_small
    onehot = keras.utils.to_categorical(y[:96], 10)
    losses = []
    for _ in range(2):
        tf.random.set_seed(42)
        model = keras.Sequential([layers.Flatten(input_shape=(28, 28, 1)), layers.Dropout(0.3),
                                  layers.Dense(10, activation="softmax")])
        model.compile("sgd", "categorical_crossentropy", ["accuracy"])
        losses.append(model.fit(x[:96], onehot, batch_size=32, epochs=2, verbose=0)
                      .history["loss"])
    assert losses[0] == losses[1]


def test_fit_rejects_bad_data_without_touching_weights(mnist_small):
    x, y = mnist_small
    model = _small_cnn()
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    before = model.get_weights()
    with pytest.raises(ValueError, match="x and y have different numbers of samples: x has 10, y has 9"):
        model.fit(x[:10], y[:9], verbose=0)
    bad = x[:10].copy()
    bad[3, 5, 5, 0] = np.nan
    with pytest.raises(ValueError, match=r"x contains NaN or infinite values \(first at index \(3, 5, 5, 0\)"):
        model.fit(bad, y[:10], verbose=0)
    with pytest.raises(ValueError, match="expected ndim=4"):
        model.fit(x[:10, :, :, 0], y[:10], verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(RuntimeError, match="must be compiled"):
        _small_cnn().fit(x[:10], y[:10])


def test_callbacks_history_early_stopping_and_iterable_data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = keras.Sequential([layers.Dense(2, input_shape=(4,))])
    model.compile(keras.optimizers.SGD(0.0), keras.losses.SparseCategoricalCrossentropy(True))
    seen = []
    cb = keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(e))
    stop = keras.callbacks.EarlyStopping(monitor="loss", patience=1, min_delta=1e-4)
    hist = model.fit(x, y, epochs=10, batch_size=16, verbose=0, callbacks=[cb, stop])
    assert seen == [0, 1] and hist.epoch == [0, 1]          # lr 0: no improvement, stops
    batches = [(x[i:i + 16], y[i:i + 16]) for i in range(0, 64, 16)]
    model.compile(keras.optimizers.SGD(0.1), keras.losses.SparseCategoricalCrossentropy(True),
                  metrics=["accuracy"])
    hist = model.fit(batches, epochs=3, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    res = model.evaluate(batches, verbose=0, return_dict=True)
    assert set(res) == {"loss", "accuracy"}



def test_learning_rate_scheduler_sets_rate_per_epoch():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((32, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = keras.Sequential([layers.Dense(2, input_shape=(4,))])
    opt = keras.optimizers.SGD(0.1)
    model.compile(opt, keras.losses.SparseCategoricalCrossentropy(True))
    used = []
    sched = keras.callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 * 0.5 ** epoch)
    spy = keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda e, logs: used.append(float(opt.learning_rate)))
    hist = model.fit(x, y, epochs=3, batch_size=16, verbose=0, callbacks=[sched, spy])
    np.testing.assert_allclose(used, [0.1, 0.05, 0.025])
    np.testing.assert_allclose(hist.history["learning_rate"], [0.1, 0.05, 0.025])
    # a frozen rate (0) leaves the weights alone: the scheduler really drives the optimizer
    w0 = model.get_weights()
    model.fit(x, y, epochs=1, verbose=0,
              callbacks=[keras.callbacks.LearningRateScheduler(lambda e, lr: 0.0)])
    for a, b in zip(w0, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    bad = keras.callbacks.LearningRateScheduler(lambda e, lr: "fast")
    with pytest.raises(ValueError, match="LearningRateScheduler"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[bad])
    with pytest.raises(TypeError, match="callable"):
        keras.callbacks.LearningRateScheduler(0.1)

# ---- integration with fastconv.saving / fastconv.train -------------------------------------
def test_save_and_load_model(tmp_path, rng):
    from test_keras_models import _inception_resnet_model

    x = rng.standard_normal((2, 8, 8, 3)).astype(np.float32)
    fun = _inception_resnet_model()
    fun.save(str(tmp_path / "fun.npz"))
    again = keras.models.load_model(str(tmp_path / "fun.npz"))
    np.testing.assert_allclose(again(x).numpy(), fun(x).numpy(), rtol=1e-6, atol=1e-7)
    seq = keras.Sequential([layers.Dense(3, input_shape=(4,)), layers.BatchNormalization()])
    seq.save(str(tmp_path / "seq.npz"))
    loaded = keras.models.load_model(str(tmp_path / "seq.npz"))
    for a, b in zip(seq.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_progress_output_modes(capsys, monkeypatch):
    from fastconv.keras.models import training

    x = np.random.default_rng(0).standard_normal((20, 3)).astype(np.float32)
    y = np.arange(20) % 2
    model = keras.Sequential([layers.Dense(2, input_shape=(3,))])
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(True), ["accuracy"])
    model.fit(x, y, epochs=2, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert capsys.readouterr().out == ""
    monkeypatch.setattr(training, "_tqdm", lambda: None)      # tqdm not installed
    model.fit(x, y, epochs=2, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[1].startswith("Epoch 2/2 - ")
    assert "loss: " in lines[1] and "accuracy: " in lines[1] and lines[1].endswith("img/s")
