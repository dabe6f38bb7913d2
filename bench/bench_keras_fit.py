#!/usr/bin/env python3
"""End-to-end Keras lab CNN: training step and inference, fastconv.keras vs PyTorch eager.

The model is the lab's 3-conv MNIST CNN (Conv32-Pool-Conv64-Pool-Conv128-Pool-Flatten-Dense256-
Dropout-Dense10, 'SAME' padding, 28x28x1, 619,786 parameters). A training step is the lab's loop
body: forward with training=True, softmax cross-entropy, tape.gradient over model.variables,
Adam.apply_gradients. Before timing, the fastconv model's logits are checked against a float64
composition of fastconv.reference ops, and PyTorch (same weights) against fastconv; the table's
`max err` column is |fastconv - reference|. Times are the median of --repeat steps after warmup.

PyTorch runs in a process of its own (bench/_peer.py), as in bench_conv2d.py: it imports PyTorch
first, so PyTorch has its own OpenMP runtime and glibc malloc's defaults instead of fastconv's
runtime and malloc tuning. It builds the same model and batches from the same seeds, checks its
logits against fastconv's there (this process fails as before if they differ), and times each
row's steps right after fastconv's (--no-torch: fastconv only).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import sys
import time

if "--_torch-serve" in sys.argv:
    import torch  # the peer: PyTorch's OpenMP runtime is loaded first, with its own defaults
else:
    torch = None

import numpy as np

import fastconv as tf
from fastconv import keras, reference as ref

from _peer import SETTLE, Peer, serve, timed_case


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


def batches(rng, args):
    """The (threads, batch, x, one-hot y) of every row, in order, drawn from rng (after
    x_check) as the parent and the PyTorch peer both do."""
    for threads in args.threads:
        for batch in args.batch:
            x = rng.random((batch, 28, 28, 1), dtype=np.float32)
            y = keras.utils.to_categorical(rng.integers(0, 10, batch), 10)
            yield threads, batch, x, y


def seeded_model():
    """The lab CNN from seed 0, its weights, the generator the rows' batches come from (after
    the check batch), the check batch and the model's logits for it: the same in this process
    and in the PyTorch peer."""
    tf.random.set_seed(0)
    model = lab_cnn()
    rng = np.random.default_rng(0)
    x_check = rng.random((4, 28, 28, 1), dtype=np.float32)
    return model, model.get_weights(), rng, x_check, model(x_check).numpy()


def torch_serve(args):
    """The PyTorch peer (see _peer.Peer): the lab CNN with the weights fastconv's seeded model
    starts from, and each row's batch from the same seeded generator. Cases `inference:<row>` and
    `train:<row>` (rows numbered in the parent's order; one Adam per row, as before); the hello
    line carries the max abs difference of its logits from fastconv's."""
    model, weights, rng, x_check, ours = seeded_model()
    tnet = torch_cnn(torch, weights).eval()
    with torch.no_grad():
        theirs = tnet(torch.from_numpy(x_check.transpose(0, 3, 1, 2).copy())).numpy()
    terr = float(np.abs(ours - theirs).max())
    cases = {}
    for row, (_, _, x, y) in enumerate(batches(rng, args)):
        xt = torch.from_numpy(x.transpose(0, 3, 1, 2).copy())
        yt = torch.from_numpy(y.argmax(1))
        topt = torch.optim.Adam(tnet.parameters(), lr=1e-3, eps=1e-7)

        def t_infer(xt=xt):
            tnet.eval()
            with torch.no_grad():
                tnet(xt)

        def t_train(xt=xt, yt=yt, topt=topt):
            tnet.train()
            topt.zero_grad()
            torch.nn.functional.cross_entropy(tnet(xt), yt).backward()
            topt.step()

        for what, fn in (("inference", t_infer), ("train", t_train)):
            cases[f"{what}:{row}"] = timed_case(torch.set_num_threads, fn, "nchw")
    serve(cases, hello="READY " + json.dumps({"torch": torch.__version__, "err": terr}))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 32, 100])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--csv", action="store_true")
    ap.add_argument("--no-torch", action="store_true", help="time fastconv only")
    ap.add_argument("--_torch-serve", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._torch_serve:
        return torch_serve(args)

    model, weights, rng, x_check, ours = seeded_model()
    err = float(np.abs(ours - reference_logits(weights, x_check)).max())
    if err > 1e-3:
        raise SystemExit(f"fastconv logits differ from the reference by {err}")
    peer = None
    have_torch = importlib.util.find_spec("torch") is not None
    if have_torch and not args.no_torch:
        # FASTCONV_MALLOC_TUNING=0 / FASTCONV_OMP_PASSIVE=0: the peer's fastconv (for its model's
        # weights and logits) leaves malloc and OpenMP as a PyTorch user has them. settle:
        # PyTorch's workers spin ~10 ms after each request, which would slow fastconv's next row.
        peer = Peer([sys.executable, os.path.abspath(__file__), "--_torch-serve",
                     "--batch", *map(str, args.batch), "--threads", *map(str, args.threads)],
                    dict(os.environ, FASTCONV_MALLOC_TUNING="0", FASTCONV_OMP_PASSIVE="0"),
                    settle=SETTLE)
        hello = json.loads(peer.hello.split(" ", 1)[1])
        terr = hello["err"]
        if terr > 1e-3:
            raise SystemExit(f"PyTorch logits differ from fastconv by {terr}")

    info = tf.cpu_info()
    torch_desc = (f"{hello['torch']} (own process)" if peer is not None else
                  "not used (--no-torch)" if have_torch else "not installed")
    print(f"# CPU: {platform.processor() or info.get('brand', '?')} | ISA: {info.get('isa', '?')}"
          f" | fastconv {tf.__version__} | numpy {np.__version__}"
          f" | torch {torch_desc}"
          f" | Python {platform.python_version()}")
    header = ["what", "batch", "threads", "fastconv ms", "img/s", "torch ms", "torch img/s",
              "ratio", "max err"]
    print(",".join(header) if args.csv else
          f"{'what':<10}{'batch':>6}{'thr':>4}{'fastconv ms':>12}{'img/s':>9}{'torch ms':>10}"
          f"{'torch img/s':>12}{'ratio':>7}{'max err':>10}")
    loss_obj = keras.losses.CategoricalCrossentropy(from_logits=True)
    opt = keras.optimizers.Adam(1e-3)
    for row, (threads, batch, x, y) in enumerate(batches(rng, args)):
        tf.set_num_threads(threads)

        def fc_infer():
            model(x, training=False)

        def fc_train():
            with tf.GradientTape() as tape:
                loss = loss_obj(y, model(x, training=True))
            grads = tape.gradient(loss, model.variables)
            opt.apply_gradients(zip(grads, model.variables))

        rows = [("inference", fc_infer), ("train", fc_train)]
        for what, fn in rows:
            ms = median_ms(fn, args.warmup, args.repeat)
            tms = float("nan")
            if peer is not None:  # the same steps in the peer, right after fastconv's
                wall, _, _ = peer.ask(f"{what}:{row}", threads, args.warmup, args.repeat)
                tms = statistics.median(wall) * 1e3
            vals = [what, batch, threads, f"{ms:.2f}", f"{batch / ms * 1e3:.0f}",
                    f"{tms:.2f}", f"{batch / tms * 1e3:.0f}" if peer is not None else "nan",
                    f"{tms / ms:.2f}" if peer is not None else "nan", f"{err:.1e}"]
            if args.csv:
                print(",".join(str(v) for v in vals))
            else:
                print(f"{vals[0]:<10}{vals[1]:>6}{vals[2]:>4}{vals[3]:>12}{vals[4]:>9}"
                      f"{vals[5]:>10}{vals[6]:>12}{vals[7]:>7}{vals[8]:>10}")
    if peer is not None:
        peer.close()


if __name__ == "__main__":
    main()
