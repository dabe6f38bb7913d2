"""Benchmark fastconv max pooling (forward, backward), batch norm and softmax cross-entropy
against PyTorch CPU, in one run, at 1 and 2 threads.

Max pooling: 2x2 stride 2 'same' on the lab CNN's layers at batch 100 (28x28x32, 14x14x64,
7x7x128); PyTorch peer: F.max_pool2d(ceil_mode=True) on channels_last tensors (same windows).
PyTorch's backward (aten.max_pool2d_with_indices_backward) gets the indices saved by its forward
for free; fastconv recomputes the arg-max from x (reference signature maxpool2d_bwd(x, dy, ...)).
GB/s counts the bytes a kernel must move (fwd: x + y, bwd: x + dy + dx) and is compared with a
copy bandwidth measured in the same run (np.copyto of 256 MiB: read + write).
Batch norm (training fwd; bwd = dx, dgamma, dbeta) on the same activations; softmax
cross-entropy (fused loss + gradient) on the lab's (100, 10) logits and on (100, H*W*C)
activations as logits. Every fastconv result is checked against the float64 reference first
(max abs error column). Medians of repeated runs after a warmup (speedup
and GB/s use the medians; the best run is shown too, since shared machines are noisy).

Issue 4 rows (SIMD over channels): batch norm training forward / backward on the lab's
activations, softmax cross-entropy on (100, 10) logits and on long rows, dropout forward /
backward, average pooling forward / backward. With --baseline-isa scalar each of those rows also
times the op on the scalar kernels (the "before" column: before issue 4 every ISA ran them),
interleaved call by call with the active ISA and the PyTorch peer.

Clock: by default process CPU time per call (time.process_time_ns, all threads of the process),
the medians of interleaved runs (fastconv, peer, baseline, fastconv, ...), because wall clock on
a shared 2-core machine swings 30-50% between runs; --clock wall restores wall time.

    python bench/bench_pool.py [--threads 1 2] [--csv] [--quick] [--clock cpu|wall]
                               [--baseline-isa scalar] [--only bn,xent,dropout,avgpool,maxpool]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import time

# Process CPU time also counts OpenMP workers spinning at the end of a parallel region (fastconv's
# and PyTorch's pools alike) into whichever call is timed next: on 2 threads that added 8-24 ms
# to sub-millisecond calls. Passive waiting makes CPU time measure the work. It must be set
# before either OpenMP runtime loads, i.e. before the imports below.
if "wall" not in sys.argv:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np

import fastconv
from fastconv import _core, reference
from fastconv._geometry import resolve_padding
from fastconv.ops import nn, pool

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the peer is optional
    torch = None

LAYERS = {"pool1": (100, 28, 28, 32), "pool2": (100, 14, 14, 64), "pool3": (100, 7, 7, 128)}


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


CLOCK = {"fn": time.perf_counter_ns}  # set from --clock in main()


def interleaved_ms(fns, min_time=0.3, min_reps=7, max_reps=200):
    """fns: list of (setup, fn) or None. Calls them round-robin after one warm-up call each,
    timing only fn with CLOCK, until each has min_reps samples and min_time (wall) has passed.
    Returns [(median ms, best ms)] (nan for None)."""
    live = [(i, f) for i, f in enumerate(fns) if f is not None]
    times = {i: [] for i, _ in live}
    clock = CLOCK["fn"]
    for _, (setup, fn) in live:
        setup()
        fn()
    start = time.perf_counter()
    while True:
        for i, (setup, fn) in live:
            setup()
            t0 = clock()
            fn()
            times[i].append((clock() - t0) * 1e-6)
        n = len(times[live[0][0]])
        if n >= max_reps or (n >= min_reps and time.perf_counter() - start >= min_time):
            break
    out = [(float("nan"), float("nan"))] * len(fns)
    for i, t in times.items():
        out[i] = (statistics.median(t), min(t))
    return out


def median_ms(fn, min_time=0.3, min_reps=7, max_reps=200) -> float:
    (ms, best), = interleaved_ms([(lambda: None, fn)], min_time, min_reps, max_reps)
    BEST_MS[0] = best
    return ms


BEST_MS = [float("nan")]  # best (minimum) time of the last median_ms call
BASELINE = {"isa": None}  # --baseline-isa


def compare(fc, peer=None):
    """Times fastconv's fc (on the active ISA and, with --baseline-isa, on the baseline ISA) and
    the peer, interleaved. Returns (fc median, fc best, peer median, baseline median)."""
    active = _core.get_isa()
    use_active = (lambda: _core.set_isa(active))
    base = BASELINE["isa"]
    res = interleaved_ms([(use_active, fc),
                          (use_active, peer) if peer is not None else None,
                          ((lambda: _core.set_isa(base)), fc) if base else None])
    _core.set_isa(active)
    return res[0][0], res[0][1], res[1][0], res[2][0]


def copy_bandwidth() -> float:
    src = np.ones(64 * 1024 * 1024, np.float32)  # 256 MiB, far beyond any cache
    dst = np.empty_like(src)
    ms = median_ms(lambda: np.copyto(dst, src), min_reps=5)
    return 2 * src.nbytes / (ms * 1e-3) / 1e9


def rows_for(threads, args, rng):
    fastconv.set_num_threads(threads)
    if torch is not None:
        torch.set_num_threads(threads)
    only = set(args.only.split(",")) if args.only else None
    want = (lambda kind: (only is None or kind in only) and (not args.quick or kind == "maxpool"))
    rows = []
    nan = float("nan")
    for name, (n, h, w, c) in LAYERS.items():
        x = rng.standard_normal((n, h, w, c)).astype(np.float32)
        pads = resolve_padding("same", (h, w), (2, 2), (2, 2))
        if want("maxpool"):
            y = pool.maxpool2d_fwd(x, 2, 2, pads)
            dy = rng.standard_normal(y.shape).astype(np.float32)
            err_f = float(np.abs(y - reference.maxpool2d_fwd(x, 2, 2, pads)).max())
            err_b = float(np.abs(pool.maxpool2d_bwd(x, dy, 2, 2, pads)
                                 - reference.maxpool2d_bwd(x, dy, 2, 2, pads)).max())
            peer_f = peer_b = None
            if torch is not None:
                xt = torch.from_numpy(x).permute(0, 3, 1, 2)  # NCHW view of NHWC memory: channels_last
                dyt = torch.from_numpy(dy).permute(0, 3, 1, 2)
                with torch.no_grad():
                    yt, idx = F.max_pool2d(xt, 2, 2, ceil_mode=True, return_indices=True)
                    assert np.array_equal(yt.permute(0, 2, 3, 1).numpy(), y)
                    bwd = torch.ops.aten.max_pool2d_with_indices_backward
                    dxt = bwd(dyt, xt, [2, 2], [2, 2], [0, 0], [1, 1], True, idx)
                    assert np.allclose(dxt.permute(0, 2, 3, 1).numpy(),
                                       pool.maxpool2d_bwd(x, dy, 2, 2, pads))
                peer_f = _no_grad(lambda: F.max_pool2d(xt, 2, 2, ceil_mode=True))
                peer_b = _no_grad(lambda: bwd(dyt, xt, [2, 2], [2, 2], [0, 0], [1, 1], True, idx))
            t_f, best_f, p_f, _ = compare(lambda: pool.maxpool2d_fwd(x, 2, 2, pads), peer_f)
            t_b, best_b, p_b, _ = compare(lambda: pool.maxpool2d_bwd(x, dy, 2, 2, pads), peer_b)
            rows.append((f"maxpool2d_fwd {name}", (n, h, w, c), t_f, best_f, p_f, nan,
                         x.nbytes + y.nbytes, err_f))
            rows.append((f"maxpool2d_bwd {name}", (n, h, w, c), t_b, best_b, p_b, nan,
                         2 * x.nbytes + dy.nbytes, err_b))
        if want("avgpool"):
            y = pool.avgpool2d_fwd(x, 2, 2, pads)
            dy = rng.standard_normal(y.shape).astype(np.float32)
            err_f = float(np.abs(y - reference.avgpool2d_fwd(x, 2, 2, pads)).max())
            err_b = float(np.abs(pool.avgpool2d_bwd(dy, x.shape, 2, 2, pads)
                                 - reference.avgpool2d_bwd(dy, x.shape, 2, 2, pads)).max())
            peer_f = peer_b = None
            if torch is not None and h % 2 == 0:  # 7x7 'same' divides edge windows by the real
                xt = torch.from_numpy(x).permute(0, 3, 1, 2)  # cells: torch's ceil_mode does not
                xg = xt.detach().requires_grad_(True)
                yt = F.avg_pool2d(xg, 2, 2)
                assert np.allclose(yt.detach().permute(0, 2, 3, 1).numpy(), y, atol=1e-6)
                dyt = torch.from_numpy(dy).permute(0, 3, 1, 2)
                peer_f = _no_grad(lambda: F.avg_pool2d(xt, 2, 2))
                peer_b = _no_grad(lambda: torch.ops.aten.avg_pool2d_backward(
                    dyt, xt, [2, 2], [2, 2], [0, 0], False, True, None))
            t_f, best_f, p_f, b_f = compare(lambda: pool.avgpool2d_fwd(x, 2, 2, pads), peer_f)
            t_b, best_b, p_b, b_b = compare(lambda: pool.avgpool2d_bwd(dy, x.shape, 2, 2, pads),
                                            peer_b)
            rows.append((f"avgpool2d_fwd {name}", (n, h, w, c), t_f, best_f, p_f, b_f,
                         x.nbytes + y.nbytes, err_f))
            rows.append((f"avgpool2d_bwd {name}", (n, h, w, c), t_b, best_b, p_b, b_b,
                         x.nbytes + dy.nbytes, err_b))
        if want("bn"):
            # batch norm, training forward and backward, on the same activation
            gamma = rng.uniform(0.5, 1.5, c).astype(np.float32)
            beta = rng.standard_normal(c).astype(np.float32)
            mm, mv = np.zeros(c, np.float32), np.ones(c, np.float32)
            f = nn.batch_norm_fwd(x, gamma, beta, mm, mv, True)
            ref = reference.batch_norm_fwd(x, gamma, beta, mm, mv, True)
            err_f = float(np.abs(f[0] - ref[0]).max())
            b = nn.batch_norm_bwd(x, x, gamma, f[3], f[4])
            err_b = float(np.abs(b[0] - reference.batch_norm_bwd(x, x, gamma, f[3], f[4])[0]).max())
            peer_f = peer_b = None
            if torch is not None:
                xt = torch.from_numpy(x).permute(0, 3, 1, 2)
                g_t, b_t = torch.from_numpy(gamma), torch.from_numpy(beta)
                rm, rv = torch.zeros(c), torch.ones(c)
                with torch.no_grad():
                    _, sm, si = torch.ops.aten.native_batch_norm(xt, g_t, b_t, rm, rv, True, 0.01,
                                                                 1e-3)
                peer_f = _no_grad(lambda: torch.ops.aten.native_batch_norm(
                    xt, g_t, b_t, rm, rv, True, 0.01, 1e-3))
                peer_b = _no_grad(lambda: torch.ops.aten.native_batch_norm_backward(
                    xt, xt, g_t, rm, rv, sm, si, True, 1e-3, [True, True, True]))
            t_f, best_f, p_f, b_f = compare(
                lambda: nn.batch_norm_fwd(x, gamma, beta, mm, mv, True), peer_f)
            t_b, best_b, p_b, b_b = compare(lambda: nn.batch_norm_bwd(x, x, gamma, f[3], f[4]),
                                            peer_b)
            rows.append((f"batch_norm_fwd {name}", (n, h, w, c), t_f, best_f, p_f, b_f,
                         3 * x.nbytes, err_f))
            rows.append((f"batch_norm_bwd {name}", (n, h, w, c), t_b, best_b, p_b, b_b,
                         5 * x.nbytes, err_b))
        if want("dropout"):
            y, mask = nn.dropout_fwd(x, 0.5, 123, True)
            ry, rmask = reference.dropout_fwd(x, 0.5, 123, True)
            assert np.array_equal(mask, rmask)
            err_f = float(np.abs(y - ry).max())
            peer_f = None
            if torch is not None:
                xt = torch.from_numpy(x)
                peer_f = _no_grad(lambda: F.dropout(xt, 0.5, True))  # its own RNG, same work
            t_f, best_f, p_f, b_f = compare(lambda: nn.dropout_fwd(x, 0.5, 123, True), peer_f)
            t_b, best_b, _, b_b = compare(lambda: nn.dropout_bwd(x, mask, 0.5))
            rows.append((f"dropout_fwd {name} (y+mask)", (n, h, w, c), t_f, best_f, p_f, b_f,
                         2 * x.nbytes + mask.nbytes, err_f))
            rows.append((f"dropout_bwd {name}", (n, h, w, c), t_b, best_b, nan, b_b,
                         2 * x.nbytes + mask.nbytes, 0.0))
        if want("xent"):
            # softmax cross-entropy with activations as (N, H*W*C) logits (long rows)
            rows.append(_xent_row(f"softmax_xent {name}", x.reshape(n, -1), rng))
    if want("xent"):
        rows.append(_xent_row("softmax_xent logits", rng.standard_normal((100, 10)).astype(np.float32), rng))
        rows.append(_xent_row("softmax_xent long rows",
                              rng.standard_normal((100, 1000)).astype(np.float32) * 5, rng))
    return rows


def _no_grad(fn):
    def run():
        with torch.no_grad():
            return fn()
    return run


def _xent_row(label, z, rng):
    z = np.ascontiguousarray(z)
    ids = rng.integers(0, z.shape[1], z.shape[0])
    loss, dz = nn.softmax_xent_fwd(z, ids)
    ref_loss, ref_dz = reference.softmax_xent_fwd(z, ids)
    err = max(abs(loss - ref_loss), float(np.abs(dz - ref_dz).max()))
    peer = None
    if torch is not None:
        zt0, it = torch.from_numpy(z), torch.from_numpy(ids)

        def peer():
            zt = zt0.detach().requires_grad_(True)
            F.cross_entropy(zt, it).backward()
            return zt.grad
    t, best, p, b = compare(lambda: nn.softmax_xent_fwd(z, ids), peer)
    return (label + " (loss+grad)", z.shape, t, best, p, b, 2 * z.nbytes, err)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--csv", action="store_true")
    ap.add_argument("--quick", action="store_true", help="max pooling only")
    ap.add_argument("--clock", choices=["cpu", "wall"], default="cpu",
                    help="per-call process CPU time (default) or wall time")
    ap.add_argument("--baseline-isa", choices=["scalar", "avx2", "avx512f"], default=None,
                    help="also time the issue-4 ops on this ISA's kernels ('before' column)")
    ap.add_argument("--only", default="",
                    help="comma-separated subset of maxpool,avgpool,bn,dropout,xent")
    args = ap.parse_args()
    CLOCK["fn"] = time.process_time_ns if args.clock == "cpu" else time.perf_counter_ns
    BASELINE["isa"] = args.baseline_isa
    bw = copy_bandwidth()
    info = fastconv.cpu_info()
    versions = f"fastconv {fastconv.__version__}, numpy {np.__version__}, " + (
        f"torch {torch.__version__}" if torch is not None else "torch not installed")
    print(f"# {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC | {cpu_name()} | "
          f"ISA {info.get('isa', _core.get_isa())} ({_core.maxpool2d_kernel_name()}) | {versions}")
    print(f"# clock: {'process CPU time' if args.clock == 'cpu' else 'wall time'} per call, "
          f"medians of interleaved runs; 'before' = {args.baseline_isa or '-'} kernels; "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}")
    print(f"# copy bandwidth (np.copyto 256 MiB, read+write, 1 thread): {bw:.1f} GB/s")
    rng = np.random.default_rng(0)
    header = ["op", "shape", "threads", "fastconv_ms", "fastconv_best_ms", "torch_ms", "speedup",
              "before_ms", "vs_before", "GB/s", "%copy", "max_abs_err"]
    if args.csv:
        print(",".join(header))
    else:
        print(f"{'op':38s} {'shape':>20s} {'thr':>3s} {'fastconv ms':>11s} {'best ms':>8s} "
              f"{'torch ms':>9s} {'speedup':>8s} {'before ms':>9s} {'gain':>6s} {'GB/s':>6s} "
              f"{'%copy':>6s} {'max err':>9s}")
    for t in args.threads:
        for op, shape, ms, best, peer, before, nbytes, err in rows_for(t, args, rng):
            gbs = nbytes / (ms * 1e-3) / 1e9
            ratio = peer / ms
            gain = before / ms
            if args.csv:
                print(f"{op},{'x'.join(map(str, shape))},{t},{ms:.4f},{best:.4f},{peer:.4f},{ratio:.2f},"
                      f"{before:.4f},{gain:.2f},{gbs:.2f},{100 * gbs / bw:.0f},{err:.3g}")
            else:
                print(f"{op:38s} {str(tuple(shape)):>20s} {t:3d} {ms:11.3f} {best:8.3f} {peer:9.3f} "
                      f"{ratio:7.2f}x {before:9.3f} {gain:5.2f}x {gbs:6.1f} {100 * gbs / bw:5.0f}% "
                      f"{err:9.2g}", flush=True)


if __name__ == "__main__":
    main()
