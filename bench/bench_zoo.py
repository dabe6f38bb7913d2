#!/usr/bin/env python3
"""Model zoo end to end: fastconv.applications vs PyTorch CPU eager, 1 and 2 threads.

Rows (the issue's benchmark):
  resnet18 train   ResNet-18, 64x64x3, batch 16: forward (training=True: batch statistics)
                   + softmax cross-entropy + gradients of every trainable weight (no update)
  resnet50 infer   ResNet-50, 224x224x3, batch 1, inference
  alexnet infer    AlexNet (the paper's 96-filter layout with LRN), 227x227x3, batch 1, inference

The PyTorch network is built inside this script by translating the fastconv model's layer graph
into torch modules one to one (Conv2d/BatchNorm2d/MaxPool2d(ceil_mode)/LocalResponseNorm/...,
NCHW) and copying its weights, so both sides compute the same function. Before timing, the
inference logits of both are compared (`max err` column = max |fastconv - torch| / max |torch|
on that row's input) and the script stops if they differ by more than 1e-3 relative. PyTorch runs
in a server process of its own (bench/_peer.py) and each case is timed in --rounds interleaved
rounds of fastconv and PyTorch; times are medians of the --repeat wall-time samples per side;
ratio = torch ms / fastconv ms (> 1: fastconv faster).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys

if "--_torch-serve" in sys.argv:
    import torch  # noqa: F401  the peer: PyTorch's own OpenMP runtime first, with its defaults

import numpy as np

from _peer import SETTLE, Peer, measure_samples, serve

import fastconv as fc
from fastconv import applications as zoo, keras


# ---- fastconv graph -> torch -----------------------------------------------------------------
def to_torch(torch, model):
    """A torch nn.Module computing `model` (a functional fastconv.keras model) in NCHW."""
    nn, F = torch.nn, torch.nn.functional
    L = keras.layers
    mods = nn.ModuleDict()
    program = []        # (layer name, kind, input tensor ids, output tensor id, extra)
    tid = {}

    def key(t):
        return tid.setdefault(id(t), len(tid))

    for node in model._nodes_in_order:
        layer = node.layer
        ins = [key(t) for t in node.input_tensors]
        out = key(node.output_tensors[0])
        name = layer.name.replace(".", "_")
        w = [np.asarray(v.numpy()) for v in layer.weights]
        if isinstance(layer, L.InputLayer):
            program.append((name, "input", ins, out, None))
            continue
        if isinstance(layer, L.Conv2D):
            kh, kw, cin, cout = w[0].shape
            if layer.padding == "same":
                assert layer.strides == (1, 1) and kh % 2 == 1 and kw % 2 == 1, layer.name
                pad = (kh // 2, kw // 2)
            else:
                pad = (0, 0)
            m = nn.Conv2d(cin, cout, (kh, kw), layer.strides, pad, bias=layer.use_bias)
            with torch.no_grad():
                m.weight.copy_(torch.from_numpy(np.ascontiguousarray(w[0].transpose(3, 2, 0, 1))))
                if layer.use_bias:
                    m.bias.copy_(torch.from_numpy(w[1]))
            mods[name] = m
            extra = "relu" if layer.activation is keras.activations.relu else None
            assert extra or layer.activation is keras.activations.linear, layer.name
            program.append((name, "module", ins, out, extra))
        elif isinstance(layer, L.Dense):
            m = nn.Linear(w[0].shape[0], w[0].shape[1], bias=layer.use_bias)
            with torch.no_grad():
                m.weight.copy_(torch.from_numpy(np.ascontiguousarray(w[0].T)))
                if layer.use_bias:
                    m.bias.copy_(torch.from_numpy(w[1]))
            mods[name] = m
            extra = "relu" if layer.activation is keras.activations.relu else None
            program.append((name, "module", ins, out, extra))
        elif isinstance(layer, L.BatchNormalization):
            c = w[-1].shape[0]
            m = nn.BatchNorm2d(c, eps=layer.epsilon, momentum=1.0 - layer.momentum)
            with torch.no_grad():
                m.weight.copy_(torch.from_numpy(w[0]))
                m.bias.copy_(torch.from_numpy(w[1]))
                m.running_mean.copy_(torch.from_numpy(w[2]))
                m.running_var.copy_(torch.from_numpy(w[3]))
            mods[name] = m
            program.append((name, "module", ins, out, None))
        elif isinstance(layer, L.LocalResponseNormalization):
            n = 2 * layer.depth_radius + 1     # torch divides alpha by the window, TF does not
            mods[name] = nn.LocalResponseNorm(n, layer.alpha * n, layer.beta, layer.bias)
            program.append((name, "module", ins, out, None))
        elif isinstance(layer, (L.MaxPooling2D, L.AveragePooling2D)):
            k, s = layer.pool_size, layer.strides
            if layer.padding == "valid":
                mod_args = dict(kernel_size=k, stride=s)
            elif s == (1, 1):
                mod_args = dict(kernel_size=k, stride=s, padding=(k[0] // 2, k[1] // 2))
            else:   # 'same' with stride 2 = ceil mode (see applications/_blocks.ceil_max_pool)
                mod_args = dict(kernel_size=k, stride=s, ceil_mode=True)
            Pool = nn.MaxPool2d if isinstance(layer, L.MaxPooling2D) else nn.AvgPool2d
            mods[name] = Pool(**mod_args)
            program.append((name, "module", ins, out, None))
        elif isinstance(layer, L.ZeroPadding2D):
            (t, b), (l, r) = layer.padding
            program.append((name, "pad", ins, out, (l, r, t, b)))
        elif isinstance(layer, L.ReLU):
            program.append((name, "relu", ins, out, None))
        elif isinstance(layer, L.Add):
            program.append((name, "add", ins, out, None))
        elif isinstance(layer, L.Concatenate):
            program.append((name, "concat", ins, out, None))
        elif isinstance(layer, L.GlobalAveragePooling2D):
            program.append((name, "gap", ins, out, None))
        elif isinstance(layer, L.Flatten):
            program.append((name, "flatten", ins, out, None))
        elif isinstance(layer, L.Dropout):
            mods[name] = nn.Dropout(layer.rate)
            program.append((name, "module", ins, out, None))
        else:
            raise NotImplementedError(f"no torch translation for {type(layer).__name__}")
    outputs = [key(t) for t in model.outputs]

    class GraphNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.mods = mods

        def forward(self, x):
            env = {}
            for name, kind, ins, out, extra in program:
                if kind == "input":
                    env[out] = x
                    continue
                a = [env[i] for i in ins]
                if kind == "module":
                    y = self.mods[name](a[0])
                    if extra == "relu":
                        y = F.relu(y)
                elif kind == "relu":
                    y = F.relu(a[0])
                elif kind == "pad":
                    y = F.pad(a[0], extra)
                elif kind == "add":
                    y = a[0]
                    for b in a[1:]:
                        y = y + b
                elif kind == "concat":
                    y = torch.cat(a, 1)
                elif kind == "gap":
                    y = a[0].mean((2, 3))
                else:   # flatten in Keras's NHWC order
                    y = a[0].permute(0, 2, 3, 1).flatten(1)
                env[out] = y
            return env[outputs[0]]

    return GraphNet()


CASES = {
    "resnet18_train": (lambda: zoo.ResNet18(input_shape=(64, 64, 3)), (16, 64, 64, 3), True),
    "resnet50_infer": (lambda: zoo.ResNet50(), (1, 224, 224, 3), False),
    "alexnet_infer": (lambda: zoo.AlexNet(), (1, 227, 227, 3), False),
}


def build(case, torch):
    """(fastconv model, x, labels, torch net or None, check error) for a case, seeded, so the
    parent and the torch server build the same weights and inputs."""
    make, shape, _ = CASES[case]
    fc.random.set_seed(0)
    model = make()
    rng = np.random.default_rng(list(CASES).index(case))
    x = rng.standard_normal(shape).astype(np.float32)
    labels = rng.integers(0, 1000, shape[0])
    tnet, err = None, float("nan")
    if torch is not None:
        ours = np.asarray(model(x, training=False))
        tnet = to_torch(torch, model).eval()
        with torch.no_grad():
            theirs = tnet(torch.from_numpy(x.transpose(0, 3, 1, 2).copy())).numpy()
        err = float(np.abs(ours - theirs).max() / max(np.abs(theirs).max(), 1e-30))
        if not err <= 1e-3:
            raise SystemExit(f"{case}: fastconv and torch logits differ (relative {err:.2e})")
    return model, x, labels, tnet, err


def torch_serve():
    """The PyTorch peer (see _peer.Peer): builds each case on first request."""
    import torch
    built = {}

    def case(name):
        def run(threads, warmup, repeat):
            if name not in built:
                _, x, labels, tnet, _ = build(name, torch)
                built[name] = (tnet, torch.from_numpy(x.transpose(0, 3, 1, 2).copy()),
                               torch.from_numpy(labels))
            tnet, xt, yt = built[name]
            torch.set_num_threads(threads)
            if CASES[name][2]:
                tnet.train()

                def t_run():
                    tnet.zero_grad(set_to_none=True)
                    torch.nn.functional.cross_entropy(tnet(xt), yt).backward()
            else:
                tnet.eval()

                def t_run():
                    with torch.no_grad():
                        tnet(xt)
            wall, cpu = measure_samples(t_run, warmup, repeat)
            return "nchw", wall, cpu
        return run

    serve({name: case(name) for name in CASES})


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=6)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3,
                    help="interleaved rounds per case (fastconv, then PyTorch, in turn)")
    ap.add_argument("--csv", action="store_true")
    ap.add_argument("--_torch-serve", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._torch_serve:
        return torch_serve()
    try:
        import torch
    except ImportError:
        torch = None

    # The peer runs in its own process, where fastconv leaves malloc alone
    # (FASTCONV_MALLOC_TUNING=0): fastconv's import-time malloc tuning is process-wide and would
    # otherwise speed PyTorch up as well, which a PyTorch user does not get. It imports PyTorch
    # before fastconv, so PyTorch keeps its own OpenMP runtime and wait policy (imported after
    # fastconv, it would share fastconv's, whose idle threads sleep at once). Each case is timed
    # in --rounds interleaved rounds of fastconv and PyTorch; medians over all samples.
    peer = None
    if torch is not None:
        peer = Peer([sys.executable, __file__, "--_torch-serve"],
                    dict(os.environ, FASTCONV_MALLOC_TUNING="0", FASTCONV_OMP_PASSIVE="0"),
                    settle=SETTLE)  # its workers spin ~10 ms after a request

    info = fc.cpu_info()
    print(f"# CPU: {platform.processor() or info.get('brand', '?')} | ISA: {info.get('isa', '?')}"
          f" | fastconv {fc.__version__} | numpy {np.__version__}"
          f" | torch {torch.__version__ if torch else 'not installed'}"
          f" | Python {platform.python_version()}")
    print(f"# fastconv malloc tuning: {'on' if info.get('malloc_tuned') else 'off'}; torch is timed "
          f"in its own process with glibc malloc's defaults; {args.rounds} interleaved rounds "
          f"of {-(-args.repeat // args.rounds)} calls per side; medians of wall time")
    cols = ["case", "batch", "threads", "fastconv ms", "img/s", "torch ms", "torch img/s",
            "ratio", "max err"]
    print(",".join(cols) if args.csv else
          f"{'case':<16}{'batch':>6}{'thr':>4}{'fastconv ms':>12}{'img/s':>9}{'torch ms':>10}"
          f"{'torch img/s':>12}{'ratio':>7}{'max err':>10}", flush=True)
    for case in args.cases:
        train = CASES[case][2]
        model, x, labels, _, err = build(case, torch)
        for threads in args.threads:
            fc.set_num_threads(threads)
            if train:
                def fc_run():
                    with fc.GradientTape() as tape:
                        loss = fc.ops.softmax_cross_entropy(labels, model(x, training=True))
                    tape.gradient(loss, model.trainable_weights)
            else:
                def fc_run():
                    model(x, training=False)
            chunk = max(1, -(-args.repeat // args.rounds))
            ours, theirs = [], []
            for r in range(args.rounds):
                warm = args.warmup if r == 0 else 0
                ours += measure_samples(fc_run, warm, chunk)[0]
                if peer is not None:
                    theirs += peer.ask(case, threads, warm, chunk)[0]
            ms = statistics.median(ours) * 1e3
            tms = statistics.median(theirs) * 1e3 if theirs else float("nan")
            n = x.shape[0]
            vals = [case, n, threads, f"{ms:.1f}", f"{n / ms * 1e3:.1f}", f"{tms:.1f}",
                    f"{n / tms * 1e3:.1f}", f"{tms / ms:.2f}", f"{err:.1e}"]
            if args.csv:
                print(",".join(str(v) for v in vals), flush=True)
            else:
                print(f"{vals[0]:<16}{vals[1]:>6}{vals[2]:>4}{vals[3]:>12}{vals[4]:>9}"
                      f"{vals[5]:>10}{vals[6]:>12}{vals[7]:>7}{vals[8]:>10}", flush=True)
    if peer is not None:
        peer.close()


if __name__ == "__main__":
    main()
