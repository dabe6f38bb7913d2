#!/usr/bin/env python3
"""End-to-end Keras lab CNN: training step and inference, fastconv.keras vs PyTorch eager.

The model is the lab's 3-conv MNIST CNN (Conv32-Pool-Conv64-Pool-Conv128-Pool-Flatten-Dense256-
Dropout-Dense10, 'SAME' padding, 28x28x1, 619,786 parameters). A training step is the lab's loop
body: forward with training=True, softmax cross-entropy, tape.gradient over model.variables,
Adam.apply_gradients. Before timing, the fastconv model's logits are checked against a float64
composition of fastconv.reference ops, and PyTorch (same weights) against fastconv; the table's
`max err` column is |fastconv - reference|. Times are the median of --repeat steps after warmup.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np

import fastconv as tf
from fastconv import keras, reference as ref


def lab_cnn():
    model = keras.Sequential()
    model.add(keras.layers.Conv2D(32, 3, activation=tf.nn.relu, padding="SAME",
                                  input_shape=(28, 28, 1)))
    model.add(keras.layers.MaxPool2D(padding="SAME"))
    model.add(keras.layers.Conv2D(64, 3, activation=tf.nn.relu, padding="SAME"))
    model.add(keras.layers.MaxPool2D(padding="SAME"))
    model.add(keras.layers.Conv2D(128, 3, activation=tf.nn.relu, padding="SAME"))
    model.add(keras.layers.MaxPool2D(padding="SAME"))
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(256, activation=tf.nn.relu))
    model.add(keras.layers.Dropout(0.4))
    model.add(keras.layers.Dense(10))
    return model


def reference_logits(weights, x):
    """float64 inference forward of the lab CNN from fastconv.reference ops."""
    h = np.asarray(x, np.float64)
    for i in range(3):
        w, b = weights[2 * i], weights[2 * i + 1]
        h = ref.conv2d(h, w, b, 1, "same", activation="relu")
        h = ref.max_pool2d(h, 2, None, "same")
    h = h.reshape(h.shape[0], -1)
    h = ref.relu_fwd(h @ weights[6] + weights[7])
    return h @ weights[8] + weights[9]


def torch_cnn(torch, weights):
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = nn.Conv2d(1, 32, 3, padding=1)
            self.c2 = nn.Conv2d(32, 64, 3, padding=1)
            self.c3 = nn.Conv2d(64, 128, 3, padding=1)
            self.d1 = nn.Linear(2048, 256)
            self.d2 = nn.Linear(256, 10)
            self.drop = nn.Dropout(0.4)

        def forward(self, x):  # x NCHW
            f = torch.nn.functional
            x = f.max_pool2d(f.relu(self.c1(x)), 2, ceil_mode=True)
            x = f.max_pool2d(f.relu(self.c2(x)), 2, ceil_mode=True)
            x = f.max_pool2d(f.relu(self.c3(x)), 2, ceil_mode=True)
            x = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)  # NHWC flatten order, as Keras
            return self.d2(self.drop(f.relu(self.d1(x))))

    net = Net()
    with torch.no_grad():
        for conv, (w, b) in zip((net.c1, net.c2, net.c3), zip(weights[0:6:2], weights[1:6:2])):
            conv.weight.copy_(torch.from_numpy(np.ascontiguousarray(w.transpose(3, 2, 0, 1))))
            conv.bias.copy_(torch.from_numpy(b))
        net.d1.weight.copy_(torch.from_numpy(np.ascontiguousarray(weights[6].T)))
        net.d1.bias.copy_(torch.from_numpy(weights[7]))
        net.d2.weight.copy_(torch.from_numpy(np.ascontiguousarray(weights[8].T)))
        net.d2.bias.copy_(torch.from_numpy(weights[9]))
    return net


def median_ms(fn, warmup, repeat):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 32, 100])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--csv", action="store_true")
    args = ap.parse_args()
    try:
        import torch
    except ImportError:
        torch = None

    tf.random.set_seed(0)
    model = lab_cnn()
    weights = model.get_weights()
    rng = np.random.default_rng(0)
    x_check = rng.random((4, 28, 28, 1), dtype=np.float32)
    ours = model(x_check).numpy()
    err = float(np.abs(ours - reference_logits(weights, x_check)).max())
    if err > 1e-3:
        raise SystemExit(f"fastconv logits differ from the reference by {err}")
    if torch is not None:
        tnet = torch_cnn(torch, weights).eval()
        with torch.no_grad():
            theirs = tnet(torch.from_numpy(x_check.transpose(0, 3, 1, 2).copy())).numpy()
        terr = float(np.abs(ours - theirs).max())
        if terr > 1e-3:
            raise SystemExit(f"PyTorch logits differ from fastconv by {terr}")

    info = tf.cpu_info()
    print(f"# CPU: {platform.processor() or info.get('brand', '?')} | ISA: {info.get('isa', '?')}"
          f" | fastconv {tf.__version__} | numpy {np.__version__}"
          f" | torch {torch.__version__ if torch else 'not installed'}"
          f" | Python {platform.python_version()}")
    header = ["what", "batch", "threads", "fastconv ms", "img/s", "torch ms", "torch img/s",
              "ratio", "max err"]
    print(",".join(header) if args.csv else
          f"{'what':<10}{'batch':>6}{'thr':>4}{'fastconv ms':>12}{'img/s':>9}{'torch ms':>10}"
          f"{'torch img/s':>12}{'ratio':>7}{'max err':>10}")
    loss_obj = keras.losses.CategoricalCrossentropy(from_logits=True)
    opt = keras.optimizers.Adam(1e-3)
    for threads in args.threads:
        tf.set_num_threads(threads)
        if torch is not None:
            torch.set_num_threads(threads)
        for batch in args.batch:
            x = rng.random((batch, 28, 28, 1), dtype=np.float32)
            y = keras.utils.to_categorical(rng.integers(0, 10, batch), 10)

            def fc_infer():
                model(x, training=False)

            def fc_train():
                with tf.GradientTape() as tape:
                    loss = loss_obj(y, model(x, training=True))
                grads = tape.gradient(loss, model.variables)
                opt.apply_gradients(zip(grads, model.variables))

            rows = [("inference", fc_infer), ("train", fc_train)]
            t_rows = {}
            if torch is not None:
                xt = torch.from_numpy(x.transpose(0, 3, 1, 2).copy())
                yt = torch.from_numpy(y.argmax(1))
                topt = torch.optim.Adam(tnet.parameters(), lr=1e-3, eps=1e-7)

                def t_infer():
                    tnet.eval()
                    with torch.no_grad():
                        tnet(xt)

                def t_train():
                    tnet.train()
                    topt.zero_grad()
                    torch.nn.functional.cross_entropy(tnet(xt), yt).backward()
                    topt.step()

                t_rows = {"inference": t_infer, "train": t_train}
            for what, fn in rows:
                ms = median_ms(fn, args.warmup, args.repeat)
                tms = median_ms(t_rows[what], args.warmup, args.repeat) if t_rows else float("nan")
                vals = [what, batch, threads, f"{ms:.2f}", f"{batch / ms * 1e3:.0f}",
                        f"{tms:.2f}", f"{batch / tms * 1e3:.0f}" if t_rows else "nan",
                        f"{tms / ms:.2f}" if t_rows else "nan", f"{err:.1e}"]
                if args.csv:
                    print(",".join(str(v) for v in vals))
                else:
                    print(f"{vals[0]:<10}{vals[1]:>6}{vals[2]:>4}{vals[3]:>12}{vals[4]:>9}"
                          f"{vals[5]:>10}{vals[6]:>12}{vals[7]:>7}{vals[8]:>10}")


if __name__ == "__main__":
    main()
