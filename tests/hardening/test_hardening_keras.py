"""Keras-level hardening: a lab-like CNN (Conv2D-MaxPooling2D-Conv2D-MaxPooling2D-Flatten-Dense,
as in lab 11-2) trained for a few steps with a fixed seed gives bit-identical weights with 1 and
2 threads and across runs; and a model's predict from two Python threads at once equals the
serial predict."""

from __future__ import annotations

import threading

import numpy as np

import fastconv
from fastconv import keras


def _lab_cnn():
    L = keras.layers
    return keras.Sequential([
        L.Conv2D(4, 3, padding="same", activation="relu", input_shape=(12, 12, 1)),
        L.MaxPooling2D(2, padding="same"),
        L.Conv2D(6, 3, padding="same", activation="relu"),
        L.MaxPooling2D(2, padding="same"),
        L.Flatten(),
        L.Dropout(0.3),
        L.Dense(10),
    ])


def _data():
    rng = np.random.default_rng(5)
    return (rng.standard_normal((32, 12, 12, 1)).astype(np.float32),
            rng.integers(0, 10, 32))


def _train_weights():
    fastconv.random.set_seed(123)
    model = _lab_cnn()
    model.compile(optimizer=keras.optimizers.Adam(1e-2),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = _data()
    hist = model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=True)
    return [np.array(w, copy=True) for w in model.get_weights()], hist.history["loss"]


def test_lab_cnn_training_is_bit_identical_across_threads_and_runs(threads):
    results = []
    for t in (1, 2, 1, 2):
        fastconv.set_num_threads(t)
        results.append(_train_weights())
    w0, loss0 = results[0]
    for k, (w, loss) in enumerate(results[1:], 1):
        assert loss == loss0, f"run {k}: loss {loss} != {loss0}"
        for i, (a, b) in enumerate(zip(w, w0)):
            assert np.array_equal(a, b), f"run {k}: weight {i} differs"


def test_predict_from_two_threads_matches_serial(threads):
    fastconv.set_num_threads(2)
    fastconv.random.set_seed(7)
    model = _lab_cnn()
    x, _ = _data()
    serial = model.predict(x, batch_size=8, verbose=0)
    errors = []
    barrier = threading.Barrier(2)

    def run(tid):
        try:
            barrier.wait()
            for _ in range(5):
                got = model.predict(x, batch_size=8, verbose=0)
                if not np.array_equal(got, serial):
                    errors.append(f"thread {tid}: predict differs from serial")
        except Exception as e:  # noqa: BLE001
            errors.append(f"thread {tid}: {type(e).__name__}: {e}")

    pool = [threading.Thread(target=run, args=(t,)) for t in range(2)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in pool)
    assert not errors, errors
