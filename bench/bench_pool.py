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

    python bench/bench_pool.py [--threads 1 2] [--csv] [--quick]
"""

from __future__ import annotations

import argparse
import datetime
import platform
import statistics
import time

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


def median_ms(fn, min_time=0.3, min_reps=7, max_reps=200) -> float:
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_reps or (time.perf_counter() - start < min_time and len(times) < max_reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    BEST_MS[0] = 1e3 * min(times)
    return 1e3 * statistics.median(times)


BEST_MS = [float("nan")]  # best (minimum) time of the last median_ms call


def copy_bandwidth() -> float:
    src = np.ones(64 * 1024 * 1024, np.float32)  # 256 MiB, far beyond any cache
    dst = np.empty_like(src)
    ms = median_ms(lambda: np.copyto(dst, src), min_reps=5)
    return 2 * src.nbytes / (ms * 1e-3) / 1e9


def rows_for(threads, quick, rng):
    fastconv.set_num_threads(threads)
    if torch is not None:
        torch.set_num_threads(threads)
    rows = []
    for name, (n, h, w, c) in LAYERS.items():
        x = rng.standard_normal((n, h, w, c)).astype(np.float32)
        pads = resolve_padding("same", (h, w), (2, 2), (2, 2))
        y = pool.maxpool2d_fwd(x, 2, 2, pads)
        dy = rng.standard_normal(y.shape).astype(np.float32)
        err_f = float(np.abs(y - reference.maxpool2d_fwd(x, 2, 2, pads)).max())
        err_b = float(np.abs(pool.maxpool2d_bwd(x, dy, 2, 2, pads)
                             - reference.maxpool2d_bwd(x, dy, 2, 2, pads)).max())
        t_f = median_ms(lambda: pool.maxpool2d_fwd(x, 2, 2, pads))
        best_f = BEST_MS[0]
        t_b = median_ms(lambda: pool.maxpool2d_bwd(x, dy, 2, 2, pads))
        best_b = BEST_MS[0]
        p_f = p_b = float("nan")
        if torch is not None:
            xt = torch.from_numpy(x).permute(0, 3, 1, 2)  # NCHW view of NHWC memory: channels_last
            dyt = torch.from_numpy(dy).permute(0, 3, 1, 2)
            with torch.no_grad():
                yt, idx = F.max_pool2d(xt, 2, 2, ceil_mode=True, return_indices=True)
                assert np.array_equal(yt.permute(0, 2, 3, 1).numpy(), y)
                p_f = median_ms(lambda: F.max_pool2d(xt, 2, 2, ceil_mode=True))
                bwd = torch.ops.aten.max_pool2d_with_indices_backward
                dxt = bwd(dyt, xt, [2, 2], [2, 2], [0, 0], [1, 1], True, idx)
                assert np.allclose(dxt.permute(0, 2, 3, 1).numpy(),
                                   pool.maxpool2d_bwd(x, dy, 2, 2, pads))
                p_b = median_ms(lambda: bwd(dyt, xt, [2, 2], [2, 2], [0, 0], [1, 1], True, idx))
        rows.append((f"maxpool2d_fwd {name}", (n, h, w, c), t_f, best_f, p_f,
                     x.nbytes + y.nbytes, err_f))
        rows.append((f"maxpool2d_bwd {name}", (n, h, w, c), t_b, best_b, p_b,
                     2 * x.nbytes + dy.nbytes, err_b))
        if quick:
            continue
        # batch norm, training forward and backward, on the same activation
        c_ = x.shape[-1]
        gamma = rng.uniform(0.5, 1.5, c_).astype(np.float32)
        beta = rng.standard_normal(c_).astype(np.float32)
        mm, mv = np.zeros(c_, np.float32), np.ones(c_, np.float32)
        f = nn.batch_norm_fwd(x, gamma, beta, mm, mv, True)
        ref = reference.batch_norm_fwd(x, gamma, beta, mm, mv, True)
        err_f = float(np.abs(f[0] - ref[0]).max())
        b = nn.batch_norm_bwd(x, x, gamma, f[3], f[4])
        err_b = float(np.abs(b[0] - reference.batch_norm_bwd(x, x, gamma, f[3], f[4])[0]).max())
        t_f = median_ms(lambda: nn.batch_norm_fwd(x, gamma, beta, mm, mv, True))
        best_f = BEST_MS[0]
        t_b = median_ms(lambda: nn.batch_norm_bwd(x, x, gamma, f[3], f[4]))
        best_b = BEST_MS[0]
        p_f = p_b = float("nan")
        if torch is not None:
            xt = torch.from_numpy(x).permute(0, 3, 1, 2)
            g_t, b_t = torch.from_numpy(gamma), torch.from_numpy(beta)
            rm, rv = torch.zeros(c_), torch.ones(c_)
            with torch.no_grad():
                p_f = median_ms(lambda: torch.ops.aten.native_batch_norm(
                    xt, g_t, b_t, rm, rv, True, 0.01, 1e-3))
                _, sm, si = torch.ops.aten.native_batch_norm(xt, g_t, b_t, rm, rv, True, 0.01, 1e-3)
                p_b = median_ms(lambda: torch.ops.aten.native_batch_norm_backward(
                    xt, xt, g_t, rm, rv, sm, si, True, 1e-3, [True, True, True]))
        rows.append((f"batch_norm_fwd {name}", (n, h, w, c), t_f, best_f, p_f, 3 * x.nbytes,
                     err_f))
        rows.append((f"batch_norm_bwd {name}", (n, h, w, c), t_b, best_b, p_b, 5 * x.nbytes,
                     err_b))
        # softmax cross-entropy with activations as (N, H*W*C) logits
        rows.append(_xent_row(f"softmax_xent {name}", x.reshape(n, -1), rng))
    if not quick:
        rows.append(_xent_row("softmax_xent logits", rng.standard_normal((100, 10)).astype(np.float32), rng))
    return rows


def _xent_row(label, z, rng):
    z = np.ascontiguousarray(z)
    ids = rng.integers(0, z.shape[1], z.shape[0])
    loss, dz = nn.softmax_xent_fwd(z, ids)
    ref_loss, ref_dz = reference.softmax_xent_fwd(z, ids)
    err = max(abs(loss - ref_loss), float(np.abs(dz - ref_dz).max()))
    t = median_ms(lambda: nn.softmax_xent_fwd(z, ids))
    best = BEST_MS[0]
    p = float("nan")
    if torch is not None:
        zt0, it = torch.from_numpy(z), torch.from_numpy(ids)

        def peer():
            zt = zt0.detach().requires_grad_(True)
            F.cross_entropy(zt, it).backward()
            return zt.grad
        p = median_ms(peer)
    return (label + " (loss+grad)", z.shape, t, best, p, 2 * z.nbytes, err)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--csv", action="store_true")
    ap.add_argument("--quick", action="store_true", help="max pooling only")
    args = ap.parse_args()
    bw = copy_bandwidth()
    info = fastconv.cpu_info()
    versions = f"fastconv {fastconv.__version__}, numpy {np.__version__}, " + (
        f"torch {torch.__version__}" if torch is not None else "torch not installed")
    print(f"# {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC | {cpu_name()} | "
          f"ISA {info.get('isa', _core.get_isa())} ({_core.maxpool2d_kernel_name()}) | {versions}")
    print(f"# copy bandwidth (np.copyto 256 MiB, read+write, 1 thread): {bw:.1f} GB/s")
    rng = np.random.default_rng(0)
    header = ["op", "shape", "threads", "fastconv_ms", "fastconv_best_ms", "torch_ms", "speedup",
              "GB/s", "%copy", "max_abs_err"]
    if args.csv:
        print(",".join(header))
    else:
        print(f"{'op':34s} {'shape':>20s} {'thr':>3s} {'fastconv ms':>11s} {'best ms':>8s} "
              f"{'torch ms':>9s} {'speedup':>8s} {'GB/s':>6s} {'%copy':>6s} {'max err':>9s}")
    for t in args.threads:
        for op, shape, ms, best, peer, nbytes, err in rows_for(t, args.quick, rng):
            gbs = nbytes / (ms * 1e-3) / 1e9
            ratio = peer / ms
            if args.csv:
                print(f"{op},{'x'.join(map(str, shape))},{t},{ms:.4f},{best:.4f},{peer:.4f},{ratio:.2f},"
                      f"{gbs:.2f},{100 * gbs / bw:.0f},{err:.3g}")
            else:
                print(f"{op:34s} {str(tuple(shape)):>20s} {t:3d} {ms:11.3f} {best:8.3f} {peer:9.3f} "
                      f"{ratio:7.1f}x {gbs:6.1f} {100 * gbs / bw:5.0f}% {err:9.2g}")


if __name__ == "__main__":
    main()
