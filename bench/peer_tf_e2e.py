#!/usr/bin/env python3
"""TensorFlow peer for bench_e2e.py: the lab MNIST CNN in tf.keras, timed in its own process.

Started by bench_e2e.py with an interpreter that has TensorFlow (`--tf-python`), one process per
thread count (TensorFlow fixes its thread pools at start-up). It does not import fastconv:
bench_e2e writes the model's weights, the input batch and fastconv's logits on a check batch to
an .npz file; this script builds the same network, loads the weights, refuses to time anything
if its logits differ from fastconv's by more than 1e-3, prints `TFCHECK <max diff> <version>`
and then serves timing requests, one line each way (bench_e2e.Peer):

    <what> <threads> <warmup> <repeat>  ->  tf <wall s>,...  <process CPU s>,...

for what in: train (the lab's step compiled with tf.function), train-eager (the same step run
eagerly, as the lab writes it), infer (batch inference, tf.function), lat1 (batch 1, tf.function).
"""

from __future__ import annotations

import argparse
import os
import sys

from _peer import measure_samples  # bench/_peer.py: plain Python, no fastconv


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("npz")
    ap.add_argument("--threads", type=int, required=True)
    args = ap.parse_args()

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    keras = tf.keras

    data = np.load(args.npz, allow_pickle=False)
    weights = [data[f"w{i}"] for i in range(int(data["n_weights"]))]
    x, y, x_check, logits = data["x"], data["y"], data["x_check"], data["logits"]

    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(32, 3, activation="relu", padding="same"),
        keras.layers.MaxPool2D(padding="same"),
        keras.layers.Conv2D(64, 3, activation="relu", padding="same"),
        keras.layers.MaxPool2D(padding="same"),
        keras.layers.Conv2D(128, 3, activation="relu", padding="same"),
        keras.layers.MaxPool2D(padding="same"),
        keras.layers.Flatten(),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dropout(0.4),
        keras.layers.Dense(10),
    ])
    model.set_weights(weights)
    err = float(np.abs(model(x_check, training=False).numpy() - logits).max())
    if err > 1e-3:
        raise SystemExit(f"TensorFlow logits differ from fastconv's by {err}")

    optimizer = keras.optimizers.Adam(learning_rate=1e-3)

    def loss_fn(images, labels):
        out = model(images, training=True)
        return tf.reduce_mean(keras.losses.categorical_crossentropy(
            y_pred=out, y_true=labels, from_logits=True))

    def step(images, labels):
        with tf.GradientTape() as tape:
            loss = loss_fn(images, labels)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    compiled_step = tf.function(step)
    infer = tf.function(lambda t: model(t, training=False))
    xt, yt = tf.constant(x), tf.constant(y)
    x1 = tf.constant(x[:1])
    print(f"TFCHECK {err!r} {tf.__version__}", flush=True)

    # .numpy() waits for the result (TensorFlow may return before the kernels finish).
    cases = {
        "train": lambda: compiled_step(xt, yt).numpy(),
        "train-eager": lambda: step(xt, yt).numpy(),
        "infer": lambda: infer(xt).numpy(),
        "lat1": lambda: infer(x1).numpy(),
    }
    for line in sys.stdin:
        what, threads, warmup, repeat = line.split()
        if int(threads) != args.threads:
            raise SystemExit(f"this server runs {args.threads} thread(s), asked for {threads}")
        wall, cpu = measure_samples(cases[what], int(warmup), int(repeat))
        print("tf", ",".join(map(repr, wall)), ",".join(map(repr, cpu)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
