"""Benchmark the convolution backward-filter pass alone (dw and db): fastconv's direct paths
(FASTCONV_CONV_ALGO=direct: per-tap / im2col / GEMM) against its Winograd F(3x3, 2x2)
('winograd') and F(3x3, 4x4) ('winograd4', F(3x3, 2x2) where the ISA lacks it) paths, the
'auto' choice, and PyTorch CPU (aten.convolution_backward with only the weight and bias
gradients).

Layers: the lab MNIST CNN's three 3x3 'same' convolutions at batch 100, and a ResNet 3x3 64->64
layer at 56x56, batch 8. Each variant's result is checked against the float64 reference
(fastconv.reference.conv2d_bwd_filter) before anything is timed (max abs error column, dw and
db). Timing is interleaved in rounds (direct, winograd, ..., torch, direct, ...) and reports
medians over rounds of the per-call process CPU time (all threads; steady on a shared, loaded
machine) and, beside it, the wall time. GF/s counts the direct algorithm's 2 * M * 9 * C * F
flops for every variant. PyTorch runs NCHW-contiguous and channels_last; the faster (by CPU time
median) is the peer.

PyTorch runs in a process of its own (bench/_peer.py), as in bench_conv2d.py: it imports PyTorch
first, so PyTorch has its own OpenMP runtime with its defaults (idle threads spin a while before
they sleep, which its 2-thread CPU time includes) and glibc malloc's defaults, instead of
fastconv's runtime and malloc tuning. Its rounds take as many calls as fill --min-round at the
previous round's pace; its max abs error is computed there against the same reference.

    python bench/bench_conv_bwd_filter.py [--threads 1 2] [--layers mnist2 mnist3] [--csv]
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import math
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

import fastconv
from fastconv import _core, ops, reference
from fastconv._geometry import conv_output_hw, resolve_padding

from _peer import SETTLE, Peer, serve, timed_case

# name: (N, H, W, C, F, padding), 3x3 stride 1
LAYERS = {
    "mnist1": (100, 28, 28, 1, 32, "same"),
    "mnist2": (100, 14, 14, 32, 64, "same"),
    "mnist3": (100, 7, 7, 64, 128, "same"),
    "resnet3x3": (8, 56, 56, 64, 64, "same"),
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


class Layer:
    def __init__(self, name, spec, rng):
        n, h, w, c, f, padding = spec
        self.name = name
        self.pads = resolve_padding(padding, (h, w), (3, 3), (1, 1), (1, 1), name)
        oh, ow = conv_output_hw((h, w), (3, 3), (1, 1), self.pads)
        self.x = rng.standard_normal((n, h, w, c)).astype(np.float32)
        self.dy = rng.standard_normal((n, oh, ow, f)).astype(np.float32)
        self.w_shape = (3, 3, c, f)
        self.flops = 2.0 * n * oh * ow * 9 * c * f
        self.desc = f"{n}x{h}x{w}x{c} -> {f} 3x3 {padding}"

    def fastconv(self, algo):
        def run():
            _core.set_conv_algo(algo)
            return ops.conv2d_bwd_filter(self.x, self.dy, self.w_shape, (1, 1), self.pads)
        return run

    def torch_fn(self, channels_last, dtype):
        fmt = torch.channels_last if channels_last else torch.contiguous_format
        (pt, pb), (pl, pr) = self.pads
        assert pt == pb and pl == pr, "benchmark layers use symmetric padding"
        x = torch.from_numpy(self.x).permute(0, 3, 1, 2).to(dtype).contiguous(memory_format=fmt)
        dy = torch.from_numpy(self.dy).permute(0, 3, 1, 2).to(dtype).contiguous(
            memory_format=fmt)
        c, f = self.w_shape[2], self.w_shape[3]
        w = torch.zeros((f, c, 3, 3), dtype=dtype).contiguous(memory_format=fmt)

        def run():
            with torch.no_grad():
                _, dw, db = torch.ops.aten.convolution_backward(
                    dy, x, w, [f], [1, 1], [pt, pl], [1, 1], False, [0, 0], 1,
                    [False, True, True])
            return dw, db
        return run


def torch_to_hwio(out):
    dw, db = out
    return dw.permute(2, 3, 1, 0).numpy(), db.numpy()


def max_error(got, expected):
    return max(float(np.abs(got[0] - expected[0]).max()), float(np.abs(got[1] - expected[1]).max()))


def torch_serve(args):
    """The PyTorch peer (see _peer.Peer). Its layers come from the same seeded generator as the
    parent's, so both time the same data; its hello line carries each layout's max abs error
    against the float64 reference. Case names are `<layer>:<layout>`."""
    rng = np.random.default_rng(0)
    errors, cases = {}, {}
    for layer in [Layer(name, LAYERS[name], rng) for name in args.layers]:
        expected = reference.conv2d_bwd_filter(layer.x, layer.dy, layer.w_shape, (1, 1),
                                               layer.pads)
        errors[layer.name] = {}
        for layout, cl in (("nchw", False), ("nhwc", True)):
            fn = layer.torch_fn(cl, torch.float32)
            errors[layer.name][layout] = max_error(torch_to_hwio(fn()), expected)
            cases[f"{layer.name}:{layout}"] = timed_case(torch.set_num_threads, fn, layout)
    serve(cases, hello="READY " + json.dumps({"torch": torch.__version__, "errors": errors}))


class PeerVariant:
    """A PyTorch variant timed in the peer process: each round asks for as many calls as fill
    min_round_s at the previous round's pace (at least 2)."""

    def __init__(self, peer, what, threads):
        self.peer, self.what, self.threads, self.per_call = peer, what, threads, None

    def warmup(self):
        wall, _, _ = self.peer.ask(self.what, self.threads, 0, 1)  # not recorded
        self.per_call = wall[0]

    def round(self, min_round_s):
        calls = max(2, math.ceil(min_round_s / max(self.per_call, 1e-6)))
        wall, cpu, _ = self.peer.ask(self.what, self.threads, 0, calls)
        self.per_call = sum(wall) / calls
        return sum(cpu) / calls * 1e3, sum(wall) / calls * 1e3


def measure(fns, rounds, min_round_s):
    """Interleaved: each round runs every variant for >= min_round_s (whole calls) and records
    its mean CPU and wall time per call (a PeerVariant in the peer process).
    -> {name: (cpu_median_ms, wall_median_ms)}."""
    for fn in fns.values():
        fn.warmup() if isinstance(fn, PeerVariant) else fn()  # scratch buffers, thread team
    cpu = {k: [] for k in fns}
    wall = {k: [] for k in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            if isinstance(fn, PeerVariant):
                c, w = fn.round(min_round_s)
                cpu[name].append(c)
                wall[name].append(w)
                continue
            calls = 0
            c0, w0 = time.process_time(), time.perf_counter()
            while True:
                fn()
                calls += 1
                if time.perf_counter() - w0 >= min_round_s and calls >= 2:
                    break
            cpu[name].append((time.process_time() - c0) / calls * 1e3)
            wall[name].append((time.perf_counter() - w0) / calls * 1e3)
    return {k: (statistics.median(cpu[k]), statistics.median(wall[k])) for k in fns}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--layers", nargs="+", choices=list(LAYERS), default=list(LAYERS))
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--min-round", type=float, default=0.05, help="seconds per variant a round")
    ap.add_argument("--csv", action="store_true", help="machine-readable rows")
    ap.add_argument("--no-torch", action="store_true", help="time fastconv only")
    ap.add_argument("--_torch-serve", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._torch_serve:
        return torch_serve(args)
    use_torch = importlib.util.find_spec("torch") is not None and not args.no_torch
    server, peer_errors = None, {}
    if use_torch:
        # FASTCONV_MALLOC_TUNING=0 / FASTCONV_OMP_PASSIVE=0: the peer's fastconv (used only for
        # the reference) leaves malloc and OpenMP as a PyTorch user has them. settle: PyTorch's
        # workers spin ~10 ms after each request, which would slow the next fastconv round.
        server = Peer([sys.executable, os.path.abspath(__file__), "--_torch-serve",
                       "--layers", *args.layers],
                      dict(os.environ, FASTCONV_MALLOC_TUNING="0", FASTCONV_OMP_PASSIVE="0"),
                      settle=SETTLE)
        hello = json.loads(server.hello.split(" ", 1)[1])
        peer_errors = hello["errors"]

    info = fastconv.cpu_info()
    versions = f"fastconv {fastconv.__version__}, numpy {np.__version__}"
    if use_torch:
        versions += f", torch {hello['torch']} (own process)"
    print(f"# bench_conv_bwd_filter {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M}"
          f" UTC | {cpu_name()} | isa {info['isa']} ({info['gemm_kernel']}) | {versions} | "
          f"python {platform.python_version()} | clock: process CPU time (all threads), "
          f"medians of {args.rounds} interleaved rounds; wall beside")
    cols = ["layer", "shape", "threads", "variant", "cpu_ms", "wall_ms", "gflops_cpu",
            "vs_direct", "vs_torch", "max_abs_err"]
    if args.csv:
        print(",".join(cols))
    else:
        print(f"{'layer':10} {'shape':26} {'thr':>3} {'variant':12} {'cpu ms':>8} {'wall ms':>8} "
              f"{'GF/s':>7} {'vs dir':>7} {'vs pt':>7} {'max err':>9}")

    rng = np.random.default_rng(0)
    previous_algo = _core.get_conv_algo()
    try:
        for layer in (Layer(name, LAYERS[name], rng) for name in args.layers):
            edw, edb = reference.conv2d_bwd_filter(layer.x, layer.dy, layer.w_shape, (1, 1),
                                                   layer.pads)
            fns = {"direct": layer.fastconv("direct"), "winograd": layer.fastconv("winograd"),
                   "winograd4": layer.fastconv("winograd4"), "auto": layer.fastconv("auto")}
            errors = {name: max_error(fn(), (edw, edb)) for name, fn in fns.items()}
            if use_torch:
                for layout in ("nchw", "nhwc"):
                    errors["torch_" + layout] = peer_errors[layer.name][layout]
            for nt in args.threads:
                fastconv.set_num_threads(nt)
                variants = dict(fns)
                if use_torch:
                    for layout in ("nchw", "nhwc"):
                        variants["torch_" + layout] = PeerVariant(
                            server, f"{layer.name}:{layout}", nt)
                res = measure(variants, args.rounds, args.min_round)
                peer = None
                if use_torch:
                    peer = min(("torch_nchw", "torch_nhwc"), key=lambda k: res[k][0])
                for name in variants:
                    if name.startswith("torch") and name != peer:
                        continue
                    cpu_ms, wall_ms = res[name]
                    vs_dir = res["direct"][0] / cpu_ms
                    vs_pt = res[peer][0] / cpu_ms if peer else float("nan")
                    label = "torch (" + peer[6:] + ")" if name == peer else name
                    row = [layer.name, layer.desc, nt, label, cpu_ms, wall_ms,
                           layer.flops / cpu_ms / 1e6, vs_dir, vs_pt, errors[name]]
                    if args.csv:
                        print(",".join(f"{v:.5g}" if isinstance(v, float) else str(v)
                                       for v in row))
                    else:
                        print(f"{row[0]:10} {row[1]:26} {nt:>3} {label:12} {cpu_ms:8.3f} "
                              f"{wall_ms:8.3f} {row[6]:7.1f} {vs_dir:6.2f}x {vs_pt:6.2f}x "
                              f"{row[9]:9.2e}")
                    sys.stdout.flush()
    finally:
        _core.set_conv_algo(previous_algo)
        if server is not None:
            server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
