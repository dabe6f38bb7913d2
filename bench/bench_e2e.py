#!/usr/bin/env python3
"""End-to-end speed of the lab MNIST CNN: fastconv.keras vs PyTorch eager and TensorFlow.

The model is the lab's CNN (Conv32-Pool-Conv64-Pool-Conv128-Pool-Flatten-Dense256-Dropout0.4-
Dense10; 3x3 'SAME' convs with ReLU, 'SAME' 2x2 max pools; 28x28x1 input; 619,786 parameters),
written with fastconv.keras exactly as the lab writes it. Measured in one run, per thread count:

  train   images/s at batch 100 for the lab's full step: forward (training=True), reduce_mean of
          categorical_crossentropy(from_logits=True), GradientTape.gradient over model.variables,
          Adam(1e-3).apply_gradients;
  infer   images/s at batch 100, model(x, training=False);
  lat1    batch-1 inference latency in microseconds.

Each figure is the median over --repeat timed calls after warmup. Two clocks are reported per
row: wall time (what the img/s and latency columns are computed from) and the *process CPU time*
per call (all threads), which is much less sensitive to other users of a shared machine: on one
thread, CPU ms is a good estimate of the unloaded wall time. The torch peer runs the same network
in eager mode with the same weights, in NCHW and channels_last, and the faster of the two is shown.
TensorFlow (tf.keras, the same network and weights; the step compiled with tf.function, and also
run eagerly as the lab writes it) is timed by peer_tf_e2e.py under --tf-python, an interpreter
with tensorflow-cpu installed (a separate venv: TensorFlow pins its own NumPy), e.g.
    python -m venv tfvenv && tfvenv/bin/pip install tensorflow-cpu
    python bench/bench_e2e.py --tf-python tfvenv/bin/python

--memory runs, in a subprocess, one epoch of the lab's training loop on MNIST (fastconv.datasets,
FASTCONV_DATA) and reports the peak resident set size next to the data set's float32 size;
import time of `import fastconv` vs `import numpy` is measured in fresh subprocesses (median).

Before timing, fastconv's logits are checked against a float64 composition of fastconv.reference
ops and PyTorch's against fastconv's.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

from _peer import SETTLE, Peer, measure_samples, serve

HERE = os.path.dirname(os.path.abspath(__file__))

# Figures for TensorFlow measured on this machine type on 2026-11-27 (issue 9), shown when
# TensorFlow is not timed in the same run (no --tf-python).
TF_REFERENCE = {
    ("train", 1): 1913, ("train", 2): 2660,          # compiled tf.function step, img/s
    ("train-eager", 1): 692, ("train-eager", 2): 887,
    ("infer", 1): 6132, ("infer", 2): 8303,           # img/s
    ("lat1", 1): 850.0, ("lat1", 2): 850.0,           # us
}


def lab_cnn(tf, keras):
    model = keras.Sequential()
    model.add(keras.layers.Conv2D(filters=32, kernel_size=3, activation=tf.nn.relu,
                                  padding='SAME', input_shape=(28, 28, 1)))
    model.add(keras.layers.MaxPool2D(padding='SAME'))
    model.add(keras.layers.Conv2D(filters=64, kernel_size=3, activation=tf.nn.relu,
                                  padding='SAME'))
    model.add(keras.layers.MaxPool2D(padding='SAME'))
    model.add(keras.layers.Conv2D(filters=128, kernel_size=3, activation=tf.nn.relu,
                                  padding='SAME'))
    model.add(keras.layers.MaxPool2D(padding='SAME'))
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(256, activation=tf.nn.relu))
    model.add(keras.layers.Dropout(0.4))
    model.add(keras.layers.Dense(10))
    return model


def make_train_step(tf, keras, model, optimizer):
    """The lab's step: loss_fn + grad + apply_gradients."""

    def loss_fn(images, labels):
        logits = model(images, training=True)
        return tf.reduce_mean(keras.losses.categorical_crossentropy(
            y_pred=logits, y_true=labels, from_logits=True))

    def step(images, labels):
        with tf.GradientTape() as tape:
            loss = loss_fn(images, labels)
        grads = tape.gradient(loss, model.variables)
        optimizer.apply_gradients(zip(grads, model.variables))
        return loss

    return step


def reference_logits(ref, weights, x):
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
    f = torch.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = nn.Conv2d(1, 32, 3, padding=1)
            self.c2 = nn.Conv2d(32, 64, 3, padding=1)
            self.c3 = nn.Conv2d(64, 128, 3, padding=1)
            self.d1 = nn.Linear(2048, 256)
            self.d2 = nn.Linear(256, 10)
            self.drop = nn.Dropout(0.4)

        def forward(self, x):  # x NCHW (possibly channels_last memory)
            x = f.max_pool2d(f.relu(self.c1(x)), 2, ceil_mode=True)
            x = f.max_pool2d(f.relu(self.c2(x)), 2, ceil_mode=True)
            x = f.max_pool2d(f.relu(self.c3(x)), 2, ceil_mode=True)
            x = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)  # NHWC flatten order, as Keras
            return self.d2(self.drop(f.relu(self.d1(x))))

    net = Net()
    with torch.no_grad():
        for conv, (w, b) in zip((net.c1, net.c2, net.c3), zip(weights[0:6:2], weights[1:6:2])):
            conv.weight.copy_(torch.from_numpy(np.ascontiguousarray(w.transpose(3, 2, 0, 1))))
            conv.bias.copy_(torch.from_numpy(np.ascontiguousarray(b)))
        net.d1.weight.copy_(torch.from_numpy(np.ascontiguousarray(weights[6].T)))
        net.d1.bias.copy_(torch.from_numpy(np.ascontiguousarray(weights[7])))
        net.d2.weight.copy_(torch.from_numpy(np.ascontiguousarray(weights[8].T)))
        net.d2.bias.copy_(torch.from_numpy(np.ascontiguousarray(weights[9])))
    return net


def cpu_name():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


# ---- subprocess modes -------------------------------------------------------------------------
def _peak_rss_mb():
    """Peak resident set size of this process (VmHWM), MB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak_rss():
    """Reset VmHWM to the current RSS (Linux >= 4.0); False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def run_memory(args):
    """One epoch of the lab's training loop on MNIST. Prints: peak RSS over the whole process,
    peak RSS during the epoch (after loading/preprocessing), data size (MB), steps, seconds,
    last loss. The lab's preprocessing (float32 in [0, 1], one-hot labels) is done in place so
    that it does not hold a second float32 copy of the images."""
    import fastconv as tf
    from fastconv import keras

    tf.set_num_threads(args.threads[0])
    (x_train, y_train), _ = tf.datasets.mnist.load_data()
    if args.limit:
        x_train, y_train = x_train[:args.limit], y_train[:args.limit]
    x_train = x_train.astype(np.float32).reshape(-1, 28, 28, 1)
    x_train /= 255.0
    y_train = keras.utils.to_categorical(y_train, 10)
    data_mb = (x_train.nbytes + y_train.nbytes) / 2 ** 20
    tf.random.set_seed(0)
    model = lab_cnn(tf, keras)
    step = make_train_step(tf, keras, model, keras.optimizers.Adam(learning_rate=1e-3))
    ds = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(
        buffer_size=100000).batch(100)
    peak_before = _peak_rss_mb()
    reset = _reset_peak_rss()
    t0 = time.perf_counter()
    n = 0
    for images, labels in ds:
        loss = step(images, labels)
        n += 1
    secs = time.perf_counter() - t0
    peak_epoch = _peak_rss_mb()
    peak_all = max(peak_before, peak_epoch)
    print(f"{peak_all:.1f} {peak_epoch if reset else float('nan'):.1f} {data_mb:.1f} {n} "
          f"{secs:.2f} {float(loss):.4f}")


def subprocess_py(argv, env=None):
    out = subprocess.run([sys.executable, *argv], check=True, capture_output=True, text=True,
                         env=env)
    return out.stdout.strip().splitlines()[-1]


def import_times(reps):
    """Median (wall s, CPU s) of `import numpy` and `import fastconv` in fresh interpreters.

    Bytecode caching is switched on for these runs (one untimed warm-up run writes the .pyc
    files), as for an installed package: with PYTHONDONTWRITEBYTECODE set, every fastconv module
    would be recompiled on each import while NumPy's installed .pyc files are used."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    res = {}
    for mod in ("numpy", "fastconv"):
        code = (f"import time; t0 = time.perf_counter(); c0 = time.process_time(); import {mod}; "
                "print(time.perf_counter() - t0, time.process_time() - c0)")
        subprocess_py(["-c", code], env=env)
        runs = [subprocess_py(["-c", code], env=env).split() for _ in range(reps)]
        res[mod] = (statistics.median(float(r[0]) for r in runs),
                    statistics.median(float(r[1]) for r in runs))
    return res


def torch_serve(args):
    """PyTorch peer: the lab CNN with the weights fastconv's seeded model starts from, in NCHW
    and channels_last; each request times both layouts and answers with the faster one."""
    import torch
    import fastconv as tf
    from fastconv import keras

    tf.random.set_seed(0)
    weights = lab_cnn(tf, keras).get_weights()
    rng = np.random.default_rng(0)
    rng.random((4, 28, 28, 1), dtype=np.float32)  # the parent's check batch comes first
    B = args.batch
    x = rng.random((B, 28, 28, 1), dtype=np.float32)
    y = keras.utils.to_categorical(rng.integers(0, 10, B), 10)
    fns = {}
    for layout in ("nchw", "channels_last"):
        net = torch_cnn(torch, weights)
        fmt = torch.channels_last if layout == "channels_last" else torch.contiguous_format
        net = net.to(memory_format=fmt)
        xt = torch.from_numpy(x.transpose(0, 3, 1, 2).copy()).contiguous(memory_format=fmt)
        x1t = xt[:1].clone().contiguous(memory_format=fmt)
        yt = torch.from_numpy(y.argmax(1))
        topt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)

        def train(net=net, xt=xt, yt=yt, topt=topt):
            net.train()
            topt.zero_grad()
            torch.nn.functional.cross_entropy(net(xt), yt).backward()
            topt.step()

        def infer(net=net, xt=xt):
            net.eval()
            with torch.no_grad():
                net(xt)

        def lat(net=net, x1t=x1t):
            net.eval()
            with torch.no_grad():
                net(x1t)

        fns[layout] = {"train": train, "infer": infer, "lat1": lat}

    def case(what):
        def run(threads, warmup, repeat):
            torch.set_num_threads(threads)
            best = None
            for layout in ("nchw", "channels_last"):
                wall, cpu = measure_samples(fns[layout][what], warmup, repeat)
                if best is None or statistics.median(wall) < statistics.median(best[1]):
                    best = (layout, wall, cpu)
            return best
        return run

    serve({what: case(what) for what in ("train", "infer", "lat1")})


# ---- main -------------------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--lat-repeat", type=int, default=500)
    ap.add_argument("--csv", action="store_true")
    ap.add_argument("--quick", action="store_true", help="few repeats, 1 thread memory on 6000 images")
    ap.add_argument("--memory", action="store_true", help="also measure peak RSS over one epoch")
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--tf-python", default=os.environ.get("FASTCONV_BENCH_TF_PYTHON"),
                    help="a Python interpreter with TensorFlow installed (e.g. a separate venv "
                         "with tensorflow-cpu); TensorFlow is then timed side by side, in its "
                         "own process per thread count (default: $FASTCONV_BENCH_TF_PYTHON; "
                         "without it, the issue's reference figures are shown)")
    ap.add_argument("--limit", type=int, default=0, help="(memory mode) use this many images")
    ap.add_argument("--_memory", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--rounds", type=int, default=5,
                    help="interleaved rounds per case (fastconv and each peer in turn); the "
                         "host's speed swings by up to 2x over seconds, so more, shorter rounds "
                         "spread every library over the same swings")
    ap.add_argument("--_torch-serve", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args._memory:
        return run_memory(args)
    if args._torch_serve:
        return torch_serve(args)
    if args.quick:
        args.repeat, args.warmup, args.lat_repeat = 6, 2, 60

    import fastconv as tf
    from fastconv import keras, reference as ref
    torch = None
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            torch = None

    tf.random.set_seed(0)
    model = lab_cnn(tf, keras)
    weights = model.get_weights()
    rng = np.random.default_rng(0)
    x_check = rng.random((4, 28, 28, 1), dtype=np.float32)
    check_logits = model(x_check, training=False).numpy()
    err = float(np.abs(check_logits - reference_logits(ref, weights, x_check)).max())
    if err > 1e-3:
        raise SystemExit(f"fastconv logits differ from the float64 reference by {err}")
    terr = float("nan")
    if torch is not None:
        tnet = torch_cnn(torch, weights).eval()
        with torch.no_grad():
            theirs = tnet(torch.from_numpy(x_check.transpose(0, 3, 1, 2).copy())).numpy()
        terr = float(np.abs(check_logits - theirs).max())
        if terr > 1e-3:
            raise SystemExit(f"PyTorch logits differ from fastconv by {terr}")

    info = tf.cpu_info()
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} | CPU: {cpu_name()} "
          f"({os.cpu_count()} logical) | ISA: {info.get('isa', '?')} | threads: {args.threads}")
    print(f"# fastconv {tf.__version__} | numpy {np.__version__} | "
          f"torch {torch.__version__ if torch else 'not installed'} | "
          f"Python {platform.python_version()}")
    print(f"# check: |fastconv - float64 reference| = {err:.1e}, |torch - fastconv| = {terr:.1e}")
    print(f"# fastconv malloc tuning: {'on' if info.get('malloc_tuned') else 'off'}; torch is timed "
          "in a separate process with glibc malloc's defaults (the tuning is process-wide)")
    print("# figures from the median wall time per call; '@cpu' columns: the same figure computed "
          "from the median\n# process CPU time per call (all threads; on 1 thread = unloaded wall "
          "time, robust to a shared machine;\n# on 2 threads it sums both threads, so it "
          "understates throughput there)")

    cols = ["what", "threads", "unit", "fastconv", "fastconv@cpu", "torch", "torch@cpu",
            "torch layout", "x torch", "x torch@cpu", "TF", "x TF", "x TF@cpu"]

    def ratio(a, b):
        return a / b if a and b else float("nan")

    def emit(what, threads, unit, fc, fc_cpu, th, th_cpu, layout):
        """fc/th: figure from the wall clock; *_cpu: the same figure from process CPU time."""
        hb = unit == "img/s"
        tfr = tfr_cpu = TF_REFERENCE.get((what, threads))
        if (what, threads) in tf_times:
            tw, tc = tf_times[(what, threads)]
            tfr, tfr_cpu = (B / tw, B / tc) if hb else (tw * 1e6, tc * 1e6)
        r = (lambda a, b: ratio(a, b)) if hb else (lambda a, b: ratio(b, a))
        vals = [what, threads, unit, f"{fc:.0f}", f"{fc_cpu:.0f}",
                f"{th:.0f}" if th else "nan", f"{th_cpu:.0f}" if th else "nan", layout or "-",
                f"{r(fc, th):.2f}", f"{r(fc_cpu, th_cpu):.2f}", f"{tfr:.0f}" if tfr else "nan",
                f"{r(fc, tfr):.2f}", f"{r(fc_cpu, tfr_cpu):.2f}"]
        if args.csv:
            print(",".join(str(v) for v in vals))
        else:
            print(f"{vals[0]:<6}{vals[1]:>4}{vals[2]:>6}{vals[3]:>10}{vals[4]:>9}{vals[5]:>9}"
                  f"{vals[6]:>10}{vals[7]:>14}{vals[8]:>8}{vals[9]:>6}{vals[10]:>8}{vals[11]:>6}"
                  f"{vals[12]:>6}", flush=True)

    B = args.batch
    x = rng.random((B, 28, 28, 1), dtype=np.float32)
    y = keras.utils.to_categorical(rng.integers(0, 10, B), 10)
    x1 = x[:1].copy()
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    step = make_train_step(tf, keras, model, optimizer)

    # Peers run in their own processes, as servers that time one case per request, so that every
    # case is measured in --rounds interleaved rounds (fastconv, PyTorch, TensorFlow, fastconv,
    # ...): on a shared machine whose speed drifts by tens of percent over minutes, each ratio
    # then compares samples taken in the same minutes. PyTorch runs with glibc malloc's defaults
    # (FASTCONV_MALLOC_TUNING=0: fastconv's import-time malloc tuning is process-wide and would
    # speed PyTorch up too, which a PyTorch user does not get); TensorFlow in its own
    # interpreter (its own venv: it pins its own NumPy), one server per thread count (it fixes
    # its thread pools at start-up), with the weights, inputs and fastconv's check logits passed
    # in an .npz file.
    import tempfile
    tmpdir = tempfile.TemporaryDirectory()
    peers = {}
    if torch is not None:
        env = dict(os.environ, FASTCONV_MALLOC_TUNING="0")
        peers["torch"] = Peer([sys.executable, __file__, "--_torch-serve", "--batch", str(B)],
                              env, settle=SETTLE)  # its workers spin ~10 ms after a request
    tf_peers = {}
    if args.tf_python:
        npz = os.path.join(tmpdir.name, "lab_cnn.npz")
        np.savez(npz, n_weights=len(weights), x=x, y=y, x_check=x_check, logits=check_logits,
                 **{f"w{i}": w for i, w in enumerate(weights)})
        for threads in args.threads:
            tf_peers[threads] = Peer([args.tf_python, os.path.join(HERE, "peer_tf_e2e.py"), npz,
                                      "--threads", str(threads)], dict(os.environ),
                                     settle=SETTLE)
        first = tf_peers[args.threads[0]].hello.split()
        print(f"# TensorFlow {first[2]} timed side by side in {args.tf_python} "
              f"(|TF - fastconv| = {float(first[1]):.1e}); 'TF' columns measured in this run")
    else:
        print("# TensorFlow not measured in this run (see --tf-python): 'TF' columns are "
              "the issue's reference figures")
    print(f"# each case: {args.rounds} interleaved rounds per peer, medians over all samples",
          flush=True)

    if args.csv:
        print(",".join(cols))
    else:
        print(f"{'what':<6}{'thr':>4}{'unit':>6}{'fastconv':>10}{'fc@cpu':>9}{'torch':>9}"
              f"{'torch@cpu':>10}{'layout':>14}{'x torch':>8}{'@cpu':>6}{'TF':>8}{'x TF':>6}"
              f"{'@cpu':>6}")

    tf_times = {}
    for threads in args.threads:
        tf.set_num_threads(threads)
        ours = {
            "train": lambda: step(x, y),
            "infer": lambda: model(x, training=False),
            "lat1": lambda: model(x1, training=False),
        }
        cases = ["train", "infer", "lat1"] + (["train-eager"] if threads in tf_peers else [])
        for what in cases:
            rep = args.lat_repeat if what == "lat1" else args.repeat
            if what == "train-eager":
                rep = max(3, rep // 2)
            chunk = max(1, -(-rep // args.rounds))
            fc_s, th_s, tf_s, layout = ([], []), ([], []), ([], []), None
            for r in range(args.rounds):
                warm = args.warmup if r == 0 else 1
                if what != "train-eager":
                    w, c = measure_samples(ours[what], warm, chunk)
                    fc_s[0].extend(w), fc_s[1].extend(c)
                    if "torch" in peers:
                        w, c, layout = peers["torch"].ask(what, threads, warm, chunk)
                        th_s[0].extend(w), th_s[1].extend(c)
                if threads in tf_peers:
                    w, c, _ = tf_peers[threads].ask(what, threads, warm, chunk)
                    tf_s[0].extend(w), tf_s[1].extend(c)
            med = statistics.median
            if tf_s[0]:
                tf_times[(what, threads)] = (med(tf_s[0]), med(tf_s[1]))
            if what == "train-eager":
                tw, tc = tf_times[(what, threads)]
                print(f"# TF eager step (as the lab writes it), {threads} thread(s): "
                      f"{B / tw:.0f} img/s ({B / tc:.0f} from CPU time)", flush=True)
                continue
            w, c = med(fc_s[0]), med(fc_s[1])
            th, th_cpu = (med(th_s[0]), med(th_s[1])) if th_s[0] else (0.0, 0.0)
            if what == "lat1":
                emit(what, threads, "us", w * 1e6, c * 1e6, th * 1e6, th_cpu * 1e6, layout)
            else:
                emit(what, threads, "img/s", B / w, B / c if c else 0.0, B / th if th else 0.0,
                     B / th_cpu if th_cpu else 0.0, layout)
    for peer in [*peers.values(), *tf_peers.values()]:
        peer.close()
    tmpdir.cleanup()
    # import time, fresh interpreters
    reps = 3 if args.quick else 7
    it = import_times(reps)
    (nw, nc), (fw, fc_) = it["numpy"], it["fastconv"]
    print(f"# import (median of {reps} fresh processes, wall / CPU): numpy {nw * 1e3:.0f} / "
          f"{nc * 1e3:.0f} ms, fastconv {fw * 1e3:.0f} / {fc_ * 1e3:.0f} ms (includes numpy), "
          f"extra {(fw - nw) * 1e3:.0f} / {(fc_ - nc) * 1e3:.0f} ms (target <= 100 ms)")

    if args.memory or args.quick:
        env = dict(os.environ)
        if "FASTCONV_DATA" not in env and os.path.isdir(os.path.join(HERE, "..", "..", "shared",
                                                                    "data")):
            env["FASTCONV_DATA"] = os.path.abspath(os.path.join(HERE, "..", "..", "shared", "data"))
        limit = args.limit or (6000 if args.quick else 0)
        thr = max(args.threads)
        line = subprocess_py([__file__, "--_memory", "--threads", str(thr),
                              "--limit", str(limit)], env=env)
        peak, peak_epoch, data_mb, nsteps, secs, loss = line.split()
        print(f"# memory: one epoch ({nsteps} steps of 100, {thr} threads, {float(secs):.1f} s, "
              f"last loss {loss}): peak RSS {peak} MB (during the epoch {peak_epoch} MB); "
              f"training data float32 {data_mb} MB; target <= {float(data_mb) + 150:.0f} MB")

if __name__ == "__main__":
    main()
