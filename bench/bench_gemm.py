#!/usr/bin/env python3
"""fastconv SGEMM vs NumPy (OpenBLAS), side by side, as GF/s and as a fraction of FMA peak.

Shapes are m x k x n: C (m x n) = A (m x k) @ B (k x n), float32, row-major, no transposes.
The dense-layer rows are the lab's Dense(2048 -> 256) at batch 100: forward x(100x2048) @
W(2048x256) = 100x2048x256, and the two products of its backward pass, 2048x100x256 and
256x2048x100.

For each shape and thread count: the fastconv result is checked against a float64 NumPy
product first (max abs error column), then both libraries run `--reps` times after a warm-up
and the median is reported. The two libraries' runs are interleaved, so a machine shared with
other jobs slows both alike. The FP32 FMA peak is measured in the same run by a native probe
(independent FMA chains), at each thread count.

`--gemv`: matrix-vector shapes instead (dense layers at batch 1: the lab CNN's 1x2048x256, AlexNet's
1x9216x4096 and 1x4096x4096), which fastconv runs on its GEMV kernel. They are memory-bound, so
the rows give median microseconds and GB/s of B streamed instead of ms and GF/s.

NumPy's OpenBLAS is slowed down by OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE when set (they pin a
smaller kernel or blocking); for a fair comparison run with
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/bench_gemm.py
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np

import fastconv
from fastconv import ops

DENSE_SHAPES = [(100, 2048, 256), (2048, 100, 256), (256, 2048, 100)]
CUBE_SHAPES = [(512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048)]
QUICK_SHAPES = [(100, 2048, 256), (512, 512, 512)]
GEMV_SHAPES = [(1, 2048, 256), (1, 9216, 4096), (1, 4096, 4096)]


def _parse_list(text: str, what: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what} must be comma-separated integers, got {text!r}")
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"{what} must be positive integers, got {text!r}")
    return values


def _parse_shapes(text: str) -> list[tuple[int, int, int]]:
    shapes = []
    for item in text.split(","):
        parts = item.lower().split("x")
        if len(parts) != 3 or not all(p.isdigit() and int(p) > 0 for p in parts):
            raise argparse.ArgumentTypeError(f"shape must look like MxKxN, got {item!r}")
        shapes.append(tuple(int(p) for p in parts))
    return shapes


def _openblas_info() -> tuple[str, object]:
    """(description of NumPy's BLAS, threadpoolctl controller or None)."""
    try:
        import threadpoolctl
    except ImportError:
        return "unknown (threadpoolctl not installed)", None
    infos = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
    if not infos:
        return "no BLAS found by threadpoolctl", None
    i = infos[0]
    desc = (f"{i.get('internal_api')} {i.get('version')} kernel={i.get('architecture')} "
            f"threading={i.get('threading_layer')}")
    return desc, threadpoolctl.ThreadpoolController()


def _time_pair(fc_fn, np_fn, reps: int, warmup: int = 2) -> tuple[float, float]:
    """Median seconds of each function, runs interleaved (fc, np, fc, np, ...) so that both
    see the same machine when other jobs come and go."""
    for _ in range(warmup):
        fc_fn()
        np_fn()
    fc_times, np_times = [], []
    for _ in range(reps):
        for fn, times in ((fc_fn, fc_times), (np_fn, np_times)):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    return statistics.median(fc_times), statistics.median(np_times)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small subset, a few seconds")
    ap.add_argument("--csv", action="store_true", help="rows as CSV (header lines start with #)")
    ap.add_argument("--gemv", action="store_true",
                    help="batch-1 dense shapes (1xKxN), reported as us and GB/s of B")
    ap.add_argument("--isa", default=None, help="force a fastconv ISA (scalar, avx2, avx512f)")
    ap.add_argument("--threads", type=lambda s: _parse_list(s, "--threads"), default=[1, 2],
                    help="comma-separated thread counts (default 1,2)")
    ap.add_argument("--shapes", type=_parse_shapes, default=None,
                    help="comma-separated MxKxN shapes (default: the six issue shapes)")
    ap.add_argument("--reps", type=int, default=None, help="timed runs per row (median)")
    ap.add_argument("--peak-seconds", type=float, default=None,
                    help="duration of each FMA peak measurement")
    args = ap.parse_args(argv)

    if args.isa:
        from fastconv import _core  # bench-only switch; ops has no public ISA setter

        _core.set_isa(args.isa)
    shapes = args.shapes or (GEMV_SHAPES if args.gemv else
                             QUICK_SHAPES if args.quick else DENSE_SHAPES + CUBE_SHAPES)
    threads = args.threads if not args.quick or args.threads != [1, 2] else [1, 2]
    reps = args.reps or (5 if args.quick else 15)
    peak_seconds = args.peak_seconds or (0.1 if args.quick else 0.3)

    info = fastconv.cpu_info()
    blas_desc, controller = _openblas_info()
    out = sys.stdout

    def header(line: str) -> None:
        print(("# " if args.csv else "") + line, file=out)

    header(f"fastconv SGEMM benchmark  {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    header(f"CPU: {info['brand'] or platform.processor()} ({os.cpu_count()} logical CPUs)")
    header(f"fastconv {fastconv.__version__}: ISA {info['isa']}, kernel {info['gemm_kernel']}")
    header(f"NumPy {np.__version__}: {blas_desc}")
    env_set = {v: os.environ.get(v) for v in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    header("OPENBLAS_CORETYPE=" + repr(env_set["OPENBLAS_CORETYPE"]) +
           " OPENBLAS_L2_SIZE=" + repr(env_set["OPENBLAS_L2_SIZE"]) +
           (" (not set: good)" if not any(env_set.values()) else ""))
    if any(env_set.values()):
        header("WARNING: OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE are set and slow NumPy down; "
               "rerun with: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python "
               "bench/bench_gemm.py")
    header("shapes are m x k x n: C(m x n) = A(m x k) @ B(k x n); median of "
           f"{reps} runs after warm-up")

    peaks = {}
    for t in threads:
        # Best of three: a probe that shared its core with another job reads low.
        peaks[t] = max(ops.fma_peak_probe(peak_seconds / 3, t) for _ in range(3))
        header(f"FP32 FMA peak ({info['isa']}), {t} thread{'s' if t > 1 else ''}: "
               f"{peaks[t]:.1f} GF/s")

    cols = ["shape", "threads", "fastconv_ms", "numpy_ms", "fastconv_gflops", "numpy_gflops",
            "ratio", "pct_peak", "max_abs_err"]
    if args.gemv:
        cols = ["shape", "threads", "fastconv_us", "numpy_us", "fastconv_gbps", "numpy_gbps",
                "ratio", "max_abs_err"]
    if args.csv:
        print(",".join(cols), file=out)
    elif args.gemv:
        print(f"{'m x k x n':>16} {'thr':>3} {'fc us':>9} {'np us':>9} {'fc GB/s':>8} "
              f"{'np GB/s':>8} {'fc/np':>6} {'max|err|':>9}", file=out)
    else:
        print(f"{'m x k x n':>16} {'thr':>3} {'fc ms':>9} {'np ms':>9} {'fc GF/s':>8} "
              f"{'np GF/s':>8} {'fc/np':>6} {'%peak':>6} {'max|err|':>9}", file=out)

    rng = np.random.default_rng(0)
    previous_threads = fastconv.get_num_threads()
    try:
        for m, k, n in shapes:
            a = rng.standard_normal((m, k)).astype(np.float32)
            b = rng.standard_normal((k, n)).astype(np.float32)
            c = np.empty((m, n), np.float32)
            exact = a.astype(np.float64) @ b.astype(np.float64)
            flops = 2.0 * m * n * k
            for t in threads:
                fastconv.set_num_threads(t)
                ops.gemm(a, b, c)
                err = float(np.max(np.abs(c - exact))) if c.size else 0.0
                c_np = np.empty_like(c)
                pair = (lambda: ops.gemm(a, b, c), lambda: np.matmul(a, b, out=c_np))
                if controller is not None:
                    with controller.limit(limits=t, user_api="blas"):
                        fc, npt = _time_pair(*pair, reps)
                else:
                    fc, npt = _time_pair(*pair, reps)
                fg, ng = flops / fc * 1e-9, flops / npt * 1e-9
                row = [f"{m}x{k}x{n}", t, fc * 1e3, npt * 1e3, fg, ng, fg / ng,
                       100.0 * fg / peaks[t], err]
                if args.gemv:
                    bytes_b = 4.0 * k * n  # B is read once; A and C are tiny
                    row = [row[0], t, fc * 1e6, npt * 1e6, bytes_b / fc * 1e-9,
                           bytes_b / npt * 1e-9, npt / fc, err]
                if args.csv:
                    print(",".join([row[0], str(t)] + [f"{v:.4g}" for v in row[2:]]), file=out)
                elif args.gemv:
                    print(f"{row[0]:>16} {t:>3} {row[2]:9.1f} {row[3]:9.1f} {row[4]:8.1f} "
                          f"{row[5]:8.1f} {row[6]:6.2f} {err:9.2e}", file=out)
                else:
                    print(f"{row[0]:>16} {t:>3} {row[2]:9.3f} {row[3]:9.3f} {fg:8.1f} {ng:8.1f} "
                          f"{fg / ng:6.2f} {row[7]:5.1f}% {err:9.2e}", file=out)
                out.flush()
    finally:
        fastconv.set_num_threads(previous_threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
