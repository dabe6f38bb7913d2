"""Saving, checkpoints and Dataset with the real fastconv.keras layers, models and optimizers."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("fastconv.keras")
if not hasattr(keras, "Sequential"):
    pytest.skip("fastconv.keras models are not available", allow_module_level=True)

import fastconv  # noqa: E402
from fastconv import saving, train  # noqa: E402
from fastconv.autograd import GradientTape  # noqa: E402
from fastconv.data import Dataset  # noqa: E402

L = keras.layers


def _cnn(seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        L.Conv2D(4, 3, activation="relu", input_shape=(8, 8, 1)),
        L.BatchNormalization(),
        L.MaxPooling2D(),
        L.Flatten(),
        L.Dropout(0.25),
        L.Dense(3, activation="softmax"),
    ])


def _functional(seed=0):
    keras.utils.set_random_seed(seed)
    inp = keras.Input(shape=(6, 6, 2))
    a = L.Conv2D(3, 1, padding="same", name="branch_a")(inp)
    b = L.Conv2D(3, 3, padding="same", activation="relu", name="branch_b")(inp)
    x = L.Add()([a, b])
    x = L.Concatenate()([x, a])
    x = L.GlobalAveragePooling2D()(x)
    out = L.Dense(2)(x)
    return keras.Model(inputs=inp, outputs=out)


class Sub(keras.Model):
    def __init__(self):
        super().__init__()
        self.d1 = L.Dense(5, activation="relu")
        self.d2 = L.Dense(2)

    def call(self, inputs, training=False):
        return self.d2(self.d1(inputs))


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _predict(model, x):
    return np.asarray(model(x, training=False))


def _weights(model):
    return [np.array(w) for w in model.get_weights()]


def test_sequential_cnn_save_load_model_identical_predictions(tmp_path):
    m = _cnn(0)
    x = _x((4, 8, 8, 1))
    m(x, training=True)  # moves the batch-norm statistics away from their initial values
    saving.save_model(m, tmp_path / "cnn.npz")
    back = saving.load_model(tmp_path / "cnn.npz")
    assert type(back) is keras.Sequential
    assert [type(l).__name__ for l in back.layers] == [type(l).__name__ for l in m.layers]
    np.testing.assert_array_equal(_predict(m, x), _predict(back, x))
    for a, b in zip(_weights(m), _weights(back)):
        np.testing.assert_array_equal(a, b)


def test_functional_graph_round_trip(tmp_path):
    m = _functional(1)
    saving.save_model(m, tmp_path / "f.npz")
    back = saving.load_model(tmp_path / "f.npz")
    x = _x((3, 6, 6, 2), 1)
    np.testing.assert_array_equal(_predict(m, x), _predict(back, x))
    assert back.count_params() == m.count_params()


def test_weights_round_trip_all_three_styles(tmp_path):
    x2 = _x((3, 4), 2)
    for make, x in ((lambda s: _cnn(s), _x((2, 8, 8, 1))),
                    (lambda s: _functional(s), _x((2, 6, 6, 2))),
                    (None, x2)):
        if make is None:
            src, dst = Sub(), Sub()
            src(x), dst(x)  # subclassed models create their weights on the first call
        else:
            src, dst = make(3), make(4)
        assert not np.array_equal(_predict(src, x), _predict(dst, x))
        saving.save_weights(src, tmp_path / "w.npz")
        saving.load_weights(dst, tmp_path / "w.npz")
        np.testing.assert_array_equal(_predict(src, x), _predict(dst, x))


def test_subclassed_save_model_recommends_save_weights(tmp_path):
    m = Sub()
    m(_x((1, 4)))
    with pytest.raises(NotImplementedError, match="save_weights"):
        saving.save_model(m, tmp_path / "s.npz")


def test_wrong_architecture_names_layer_and_shapes(tmp_path):
    saving.save_weights(_cnn(0), tmp_path / "w.npz")
    keras.utils.set_random_seed(0)
    other = keras.Sequential([L.Conv2D(5, 3, input_shape=(8, 8, 1), name="wide_conv"),
                              L.BatchNormalization(), L.MaxPooling2D(), L.Flatten(),
                              L.Dropout(0.25), L.Dense(3)])
    before = _weights(other)
    with pytest.raises(ValueError) as ei:
        saving.load_weights(other, tmp_path / "w.npz")
    msg = str(ei.value)
    assert "wide_conv/kernel" in msg and "(3, 3, 1, 5) in the model but (3, 3, 1, 4)" in msg
    for a, b in zip(before, _weights(other)):
        np.testing.assert_array_equal(a, b)


def _opt_vars(opt):
    v = opt.variables
    return list(v() if callable(v) else v)


def _train_steps(model, opt, step, data, start, n):
    for k in range(start, start + n):
        x, y = data[k]
        with GradientTape() as tape:
            logits = model(x, training=True)
            loss = fastconv.ops.softmax_cross_entropy(y, logits)
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        step.assign(step.numpy() + 1)


@pytest.mark.parametrize("make_opt", [lambda: keras.optimizers.Adam(0.01),
                                      lambda: keras.optimizers.SGD(0.05, momentum=0.9)])
def test_checkpoint_resume_with_real_optimizer_matches_uninterrupted(tmp_path, make_opt):
    rng = np.random.default_rng(0)
    data = [(rng.standard_normal((4, 6, 6, 2)).astype(np.float32), rng.integers(0, 2, 4))
            for _ in range(5)]

    def fresh(seed):
        model, opt = _functional(seed), make_opt()
        step = fastconv.Variable(0, dtype=np.int64, trainable=False, name="step")
        return model, opt, step

    model, opt, step = fresh(0)
    _train_steps(model, opt, step, data, 0, 5)
    reference = _weights(model)

    model, opt, step = fresh(0)
    ckpt = train.Checkpoint(step=step, optimizer=opt, model=model)
    mgr = train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=2)
    _train_steps(model, opt, step, data, 0, 3)
    mgr.save()

    model2, opt2, step2 = fresh(7)  # new process: different init, no optimizer slots yet
    ckpt2 = train.Checkpoint(step=step2, optimizer=opt2, model=model2)
    ckpt2.restore(train.CheckpointManager(ckpt2, str(tmp_path)).latest_checkpoint)
    assert int(step2.numpy()) == 3 and int(np.asarray(opt2.iterations)) == 3
    assert len(_opt_vars(opt2)) == len(_opt_vars(opt))
    _train_steps(model2, opt2, step2, data, 3, 2)
    for a, b in zip(reference, _weights(model2)):
        np.testing.assert_array_equal(a, b)


def test_restoring_an_early_checkpoint_resets_later_slots(tmp_path):
    model, opt = _functional(0), keras.optimizers.Adam()
    ckpt = train.Checkpoint(model=model, optimizer=opt)
    early = ckpt.save(str(tmp_path / "c"))  # before any step: no slots
    rng = np.random.default_rng(1)
    step = fastconv.Variable(0.0)
    _train_steps(model, opt, step, [(rng.standard_normal((2, 6, 6, 2)).astype(np.float32),
                                     np.array([0, 1]))], 0, 1)
    assert int(np.asarray(opt.iterations)) == 1
    assert any(np.any(np.asarray(v) != 0) for v in _opt_vars(opt))
    ckpt.restore(early)
    assert int(np.asarray(opt.iterations)) == 0
    assert all(np.all(np.asarray(v) == 0) for v in _opt_vars(opt))  # a fresh optimizer's state


def test_dataset_feeds_fit_and_is_reproducible_with_global_seed():
    x = _x((20, 8, 8, 1))
    y = np.arange(20) % 3

    def order():
        keras.utils.set_random_seed(5)
        ds = Dataset.from_tensor_slices((x, y)).shuffle(20).batch(8)
        return [yb.tolist() for _, yb in ds]

    assert order() == order()
    m = _cnn(0)
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    ds = Dataset.from_tensor_slices((x, y)).shuffle(20, seed=1).batch(8)
    hist = m.fit(ds, epochs=1, verbose=0)
    assert len(hist.history["loss"]) == 1
