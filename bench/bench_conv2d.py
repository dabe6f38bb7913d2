"""Benchmark fastconv conv2d (forward, and forward + backward) against PyTorch CPU.

Layers: the lab's MNIST CNN (batch 100, 3x3 'same'), AlexNet's first layer (batch 8), two
ResNet-50 style layers (batch 8). Every result is checked against PyTorch in float64 before
anything is timed (max abs error column). PyTorch runs in both NCHW-contiguous and
channels_last layouts, and the faster one (by median) is the peer. Times are medians of repeated
runs after a warmup; speedup = PyTorch ms / fastconv ms on medians, "best" the same on the
fastest run of each (steadier than the median on a shared, loaded machine).

forward+backward = conv2d_fwd + conv2d_bwd_data + conv2d_bwd_filter (dw and db), except for a
first layer (C == 1 input image) where dL/dx is not needed, so bwd_data is skipped on both
sides. PyTorch's backward is aten.convolution_backward with the same output mask.

PyTorch runs in a process of its own (bench/_peer.py), as in the end-to-end and model-zoo
benchmarks: in this one, importing fastconv first would have made PyTorch share fastconv's
OpenMP runtime, loaded with idle threads sleeping at once (fastconv's choice, not PyTorch's
default) and its malloc tuning. The peer imports PyTorch first, with its own OpenMP runtime and
glibc malloc's defaults; each round times fastconv, then PyTorch with as many calls.

    python bench/bench_conv2d.py [--threads 1 2] [--layers mnist1 resnet3x3] [--csv]
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import statistics
import sys
import time

if "--_torch-serve" in sys.argv:
    import torch  # the peer: PyTorch's OpenMP runtime is loaded first, with its own defaults
    import torch.nn.functional as F
else:
    torch = F = None

import numpy as np

import fastconv
from fastconv import ops
from fastconv._geometry import conv_output_hw, resolve_padding

from _peer import SETTLE, Peer, serve, timed_case

# name: (N, H, W, C, F, KH, KW, stride, padding)
LAYERS = {
    "mnist1": (100, 28, 28, 1, 32, 3, 3, 1, "same"),
    "mnist2": (100, 14, 14, 32, 64, 3, 3, 1, "same"),
    "mnist3": (100, 7, 7, 64, 128, 3, 3, 1, "same"),
    "alexnet1": (8, 227, 227, 3, 96, 11, 11, 4, "valid"),
    "resnet3x3": (8, 56, 56, 64, 64, 3, 3, 1, "same"),
    "resnet1x1": (8, 56, 56, 256, 64, 1, 1, 1, "valid"),
}


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


CLOCK = time.perf_counter


def time_samples(fn, min_time, min_reps=2, max_reps=25, warmup=True):
    """Times (ms) of repeated calls (CLOCK: wall time, or with --clock cpu the process CPU time,
    which time-slicing on a loaded machine does not inflate; with several threads it is the sum
    over threads), after one warmup call on the first round (first-touch of scratch buffers,
    thread team start)."""
    if warmup:
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_reps or (time.perf_counter() - start < min_time
                                    and len(times) < max_reps):
        t0 = CLOCK()
        fn()
        times.append(1e3 * (CLOCK() - t0))
    return times


class Layer:
    def __init__(self, name, spec, rng):
        n, h, w, c, f, kh, kw, s, padding = spec
        self.name, self.spec = name, spec
        self.strides = (s, s)
        self.pads = resolve_padding(padding, (h, w), (kh, kw), self.strides, (1, 1), name)
        oh, ow = conv_output_hw((h, w), (kh, kw), self.strides, self.pads)
        self.x = rng.standard_normal((n, h, w, c)).astype(np.float32)
        self.w = (rng.standard_normal((kh, kw, c, f)) / np.sqrt(kh * kw * c)).astype(np.float32)
        self.b = rng.standard_normal(f).astype(np.float32)
        self.dy = rng.standard_normal((n, oh, ow, f)).astype(np.float32)
        self.need_dx = c > 1  # a first layer on the raw image needs no dL/dx
        self.flops_pass = 2.0 * n * oh * ow * kh * kw * c * f
        self.desc = f"{n}x{h}x{w}x{c} -> {f} {kh}x{kw}/{s} {padding}"

    # fastconv
    def fc_fwd(self):
        return ops.conv2d_fwd(self.x, self.w, self.b, self.strides, self.pads)

    def fc_fwd_bwd(self):
        y = ops.conv2d_fwd(self.x, self.w, self.b, self.strides, self.pads)
        dx = (ops.conv2d_bwd_data(self.dy, self.w, self.x.shape, self.strides, self.pads)
              if self.need_dx else None)
        dw, db = ops.conv2d_bwd_filter(self.x, self.dy, self.w.shape, self.strides, self.pads)
        return y, dx, dw, db

    # torch
    def torch_pad(self):
        (pt, pb), (pl, pr) = self.pads
        assert pt == pb and pl == pr, "benchmark layers use symmetric padding"
        return (pt, pl)

    def torch_tensors(self, dtype, channels_last):
        fmt = torch.channels_last if channels_last else torch.contiguous_format
        x = torch.from_numpy(self.x).permute(0, 3, 1, 2).to(dtype)
        w = torch.from_numpy(self.w).permute(3, 2, 0, 1).to(dtype)
        dy = torch.from_numpy(self.dy).permute(0, 3, 1, 2).to(dtype)
        b = torch.from_numpy(self.b).to(dtype)
        x, w, dy = (t.contiguous(memory_format=fmt) for t in (x, w, dy))
        return x, w, b, dy

    def torch_fns(self, dtype, channels_last):
        x, w, b, dy = self.torch_tensors(dtype, channels_last)
        pad, stride = self.torch_pad(), self.strides

        def fwd():
            with torch.no_grad():
                return F.conv2d(x, w, b, stride, pad)

        def fwd_bwd():
            with torch.no_grad():
                y = F.conv2d(x, w, b, stride, pad)
                dx, dw, db = torch.ops.aten.convolution_backward(
                    dy, x, w, [w.shape[0]], list(stride), list(pad), [1, 1], False, [0, 0], 1,
                    [self.need_dx, True, True])
            return y, dx, dw, db

        return fwd, fwd_bwd


def to_nhwc(t):
    return t.permute(0, 2, 3, 1).numpy()


def max_errors(layer: Layer):
    """Max abs error of fastconv's y, and of (dx, dw, db), against PyTorch in float64."""
    _, fwd_bwd = layer.torch_fns(torch.float64, False)
    y, dx, dw, db = fwd_bwd()
    ry, rdx = to_nhwc(y), (to_nhwc(dx) if dx is not None else None)
    rdw, rdb = dw.permute(2, 3, 1, 0).numpy(), db.numpy()
    fy, fdx, fdw, fdb = layer.fc_fwd_bwd()
    e_fwd = float(np.abs(fy - ry).max())
    e_bwd = max(float(np.abs(fdw - rdw).max()), float(np.abs(fdb - rdb).max()))
    if layer.need_dx:
        e_bwd = max(e_bwd, float(np.abs(fdx - rdx).max()))
    return e_fwd, max(e_fwd, e_bwd)


def torch_serve(layer_names):
    """The PyTorch peer (see _peer.Peer). Its layers come from the same seeded generator as the
    parent's, so both time the same data; its hello line carries the float64 cross-check. Case
    names are `<layer>:<pass index>:<layout>`."""
    rng = np.random.default_rng(0)
    layers = [Layer(name, LAYERS[name], rng) for name in layer_names]
    errors = {layer.name: max_errors(layer) for layer in layers}
    cases = {}
    for layer in layers:
        for layout, cl in (("nchw", False), ("nhwc", True)):
            for pi, fn in enumerate(layer.torch_fns(torch.float32, cl)):
                cases[f"{layer.name}:{pi}:{layout}"] = timed_case(torch.set_num_threads, fn,
                                                                  layout)
    serve(cases, hello="READY " + json.dumps({"torch": torch.__version__, "errors": errors}))


def main(argv=None) -> int:
    if argv is None and "--_torch-serve" in sys.argv:
        return torch_serve(sys.argv[sys.argv.index("--_torch-serve") + 1:])
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--layers", nargs="+", choices=list(LAYERS), default=list(LAYERS))
    ap.add_argument("--csv", action="store_true", help="machine-readable rows")
    ap.add_argument("--min-time", type=float, default=0.6,
                    help="seconds per measurement (split over the rounds)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="interleaved rounds of fastconv and PyTorch per measurement")
    ap.add_argument("--no-torch", action="store_true", help="time fastconv only")
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                    help="wall time (default) or process CPU time (steady on a loaded machine; "
                         "use with --threads 1)")
    args = ap.parse_args(argv)
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    use_torch = importlib.util.find_spec("torch") is not None and not args.no_torch
    peer, errors = None, {}
    if use_torch:
        # FASTCONV_MALLOC_TUNING=0 / FASTCONV_OMP_PASSIVE=0: the peer's fastconv (used only for
        # the cross-check) leaves malloc and OpenMP as a PyTorch user has them.
        peer = Peer([sys.executable, os.path.abspath(__file__), "--_torch-serve", *args.layers],
                    dict(os.environ, FASTCONV_MALLOC_TUNING="0", FASTCONV_OMP_PASSIVE="0"),
                    settle=SETTLE)  # its workers spin ~10 ms after a request
        hello = json.loads(peer.hello.split(" ", 1)[1])
        errors = {name: tuple(e) for name, e in hello["errors"].items()}

    info = fastconv.cpu_info()
    versions = f"fastconv {fastconv.__version__}, numpy {np.__version__}"
    if use_torch:
        versions += f", torch {hello['torch']} (own process)"
    print(f"# bench_conv2d {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC | "
          f"{cpu_name()} | isa {info['isa']} ({info['gemm_kernel']}) | {versions} | "
          f"python {platform.python_version()} | clock {args.clock}")
    cols = ["layer", "shape", "threads", "pass", "fastconv_ms", "torch_ms", "torch_layout",
            "fastconv_gflops", "torch_gflops", "speedup", "speedup_best", "max_abs_err"]
    if args.csv:
        print(",".join(cols))
    else:
        print(f"{'layer':10} {'shape':34} {'thr':>3} {'pass':8} {'fc ms':>9} {'torch ms':>9} "
              f"{'layout':6} {'fc GF/s':>8} {'pt GF/s':>8} {'speedup':>7} {'best':>7} {'max err':>9}")

    rng = np.random.default_rng(0)
    layers = [Layer(name, LAYERS[name], rng) for name in args.layers]
    clock = 1 if args.clock == "cpu" else 0  # index into the peer's (wall, cpu) samples
    for nt in args.threads:
        fastconv.set_num_threads(nt)
        for layer in layers:
            passes = [("fwd", layer.fc_fwd, 1)]
            passes.append(("fwd+bwd", layer.fc_fwd_bwd, 3 if layer.need_dx else 2))
            for pi, (pname, fn, npass) in enumerate(passes):
                flops = layer.flops_pass * npass
                # --rounds interleaved rounds of fastconv and each PyTorch layout: this
                # machine's speed drifts over minutes, so each side gets samples from the same
                # minutes; medians (and best) over all of a side's samples.
                fc_t, pt_t = [], {"nchw": [], "nhwc": []} if use_torch else {}
                per_round = args.min_time / args.rounds
                for r in range(args.rounds):
                    mine = time_samples(fn, per_round, warmup=r == 0)
                    fc_t += mine
                    for layout in pt_t:
                        samples = peer.ask(f"{layer.name}:{pi}:{layout}", nt,
                                           1 if r == 0 else 0, len(mine))
                        pt_t[layout] += [1e3 * v for v in samples[clock]]
                fc_ms, fc_best = statistics.median(fc_t), min(fc_t)
                pt_ms, pt_best, layout = float("nan"), float("nan"), "-"
                if use_torch:
                    layout = min(pt_t, key=lambda k: statistics.median(pt_t[k]))  # faster one
                    pt_ms, pt_best = statistics.median(pt_t[layout]), min(pt_t[layout])
                err = errors.get(layer.name, (float("nan"),) * 2)[pi]
                row = [layer.name, layer.desc, nt, pname, fc_ms, pt_ms, layout,
                       flops / fc_ms / 1e6, flops / pt_ms / 1e6, pt_ms / fc_ms,
                       pt_best / fc_best, err]
                if args.csv:
                    print(",".join(str(v) if not isinstance(v, float) else f"{v:.5g}"
                                   for v in row))
                else:
                    print(f"{row[0]:10} {row[1]:34} {nt:>3} {pname:8} {fc_ms:9.2f} "
                          f"{pt_ms:9.2f} {layout:6} {row[7]:8.1f} {row[8]:8.1f} "
                          f"{row[9]:6.2f}x {row[10]:6.2f}x {err:9.2e}")
                sys.stdout.flush()
    if peer is not None:
        peer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
