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
interleaved with the active ISA and the PyTorch peer.

Clock: by default process CPU time per call (time.process_time_ns, all threads of the process),
the medians over 3 interleaved rounds (fastconv, peer, baseline, fastconv, ...; in each round
every side gets one untimed call and then a burst of 0.3 s / (3 x sides), 50 ms beside the
peer), because wall clock on a shared 2-core machine swings 30-50% between runs; --clock wall
restores wall time.

PyTorch runs in a process of its own (bench/_peer.py), as in bench_conv2d.py: it imports PyTorch
first, so PyTorch has its own OpenMP runtime and glibc malloc's defaults instead of fastconv's
runtime and malloc tuning. It builds the same inputs from the same seeded generator and checks
its results against fastconv's there (this process fails as before if one differs). Until
2026-11-28 both ran in this process, interleaved call by call; across two processes single calls
each start on a just-woken process (fastconv's 1-thread max pooling and softmax rows measured a
median 41% slower that way, 25% with bursts of 7 calls, 3% with the ~50 ms bursts). Under the
CPU clock both processes run with OMP_WAIT_POLICY=PASSIVE (below); under --clock wall PyTorch
keeps its default (its workers spin ~10 ms after a burst, so fastconv's next burst waits 20 ms).

    python bench/bench_pool.py [--threads 1 2] [--csv] [--quick] [--clock cpu|wall] [--no-torch]
                               [--baseline-isa scalar] [--only bn,xent,dropout,avgpool,maxpool]
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

# Process CPU time also counts OpenMP workers spinning at the end of a parallel region (fastconv's
# and PyTorch's pools alike) into whichever call is timed next: on 2 threads that added 8-24 ms
# to sub-millisecond calls. Passive waiting makes CPU time measure the work. It must be set
# before either OpenMP runtime loads, i.e. before the imports below; the PyTorch peer process
# inherits it.
if "wall" not in sys.argv:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

if "--_torch-serve" in sys.argv:
    import torch  # the peer: PyTorch's OpenMP runtime is loaded first
    import torch.nn.functional as F
else:
    torch = F = None

import numpy as np

import fastconv
from fastconv import _core, reference
from fastconv._geometry import resolve_padding
from fastconv.ops import nn, pool

from _peer import SETTLE, Peer, measure_samples, serve

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


class PeerCall:
    """A PyTorch case timed in the peer process with the same clock (process CPU time or wall).
    A burst is one request: an untimed call, then as many timed ones as fill `seconds` (wall) at
    the pace of its previous burst, within [min_n, max_n]."""

    def __init__(self, peer, what, threads):
        self.peer, self.what, self.threads, self.per_call = peer, what, threads, None

    def burst(self, seconds, min_n, max_n):
        n = min_n if self.per_call is None else min(max_n, max(
            min_n, math.ceil(seconds / max(self.per_call, 1e-6))))
        wall, cpu, _ = self.peer.ask(self.what, self.threads, 1, n)
        self.per_call = sum(wall) / n
        return [1e3 * v for v in (cpu if CLOCK["fn"] is time.process_time_ns else wall)]


ROUNDS = 3  # interleaved rounds per measurement


def interleaved_ms(fns, min_time=0.3, min_reps=7, max_reps=200):
    """fns: list of (setup, fn), PeerCall or None. Times them in ROUNDS interleaved rounds:
    in each, every one gets a burst of an untimed call (after setup) and then calls timed with
    CLOCK (only fn) until min_time / (ROUNDS * len(fns)) of wall time has passed, at least
    min_reps / ROUNDS and at most max_reps / ROUNDS of them. Bursts, not single calls: a process
    that has just woken runs slower for a while, which calls alternating between fastconv's and
    the peer's processes would both pay. Returns [(median ms, best ms)] (nan for None)."""
    live = [(i, f) for i, f in enumerate(fns) if f is not None]
    times = {i: [] for i, _ in live}
    clock = CLOCK["fn"]
    seconds = min_time / (ROUNDS * len(live))
    min_n, max_n = math.ceil(min_reps / ROUNDS), math.ceil(max_reps / ROUNDS)

    def burst(f):
        if isinstance(f, PeerCall):
            return f.burst(seconds, min_n, max_n)
        setup, fn = f
        setup()
        fn()  # untimed
        out = []
        start = time.perf_counter()
        while len(out) < min_n or (len(out) < max_n and time.perf_counter() - start < seconds):
            t0 = clock()
            fn()
            out.append((clock() - t0) * 1e-6)
        return out

    for _ in range(ROUNDS):
        for i, f in live:
            times[i] += burst(f)
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
    the peer (a PeerCall), interleaved. Returns (fc median, fc best, peer median, baseline
    median)."""
    active = _core.get_isa()
    use_active = (lambda: _core.set_isa(active))
    base = BASELINE["isa"]
    res = interleaved_ms([(use_active, fc), peer,
                          ((lambda: _core.set_isa(base)), fc) if base else None])
    _core.set_isa(active)
    return res[0][0], res[0][1], res[1][0], res[2][0]


def copy_bandwidth() -> float:
    src = np.ones(64 * 1024 * 1024, np.float32)  # 256 MiB, far beyond any cache
    dst = np.empty_like(src)
    ms = median_ms(lambda: np.copyto(dst, src), min_reps=5)
    return 2 * src.nbytes / (ms * 1e-3) / 1e9


def wanted(args):
    only = set(args.only.split(",")) if args.only else None
    return lambda kind: (only is None or kind in only) and (not args.quick or kind == "maxpool")


def inputs(rng, want):
    """The arrays of one thread count's rows, drawn from rng in a fixed order (the PyTorch peer
    draws the same): {layer: {"x", "mp_dy", "ap_dy", "gamma", "beta", "xent_ids"}, "logits":
    (z, ids), "long rows": (z, ids)}."""
    data = {}
    for name, (n, h, w, c) in LAYERS.items():
        d = data[name] = {"x": rng.standard_normal((n, h, w, c)).astype(np.float32)}
        yshape = (n, -(-h // 2), -(-w // 2), c)  # 2x2 stride 2 'same'
        if want("maxpool"):
            d["mp_dy"] = rng.standard_normal(yshape).astype(np.float32)
        if want("avgpool"):
            d["ap_dy"] = rng.standard_normal(yshape).astype(np.float32)
        if want("bn"):
            d["gamma"] = rng.uniform(0.5, 1.5, c).astype(np.float32)
            d["beta"] = rng.standard_normal(c).astype(np.float32)
        if want("xent"):
            d["xent_ids"] = rng.integers(0, h * w * c, n)
    if want("xent"):
        for label, cols, scale in (("logits", 10, 1), ("long rows", 1000, 5)):
            z = rng.standard_normal((100, cols)).astype(np.float32) * scale
            data[label] = (z, rng.integers(0, cols, 100))
    return data


def rows_for(threads, index, args, data, peer, checks):
    """Rows for one thread count; peer: the PyTorch peer (or None), which names its cases
    `<index of the thread count>:<op>:<layer>` and reported `checks` for them."""
    fastconv.set_num_threads(threads)
    want = wanted(args)

    def on_peer(case):  # the peer's check of this case (if any) must have passed
        if peer is None:
            return None
        assert checks.get(f"{index}:{case}", True), f"PyTorch's {case} differs from fastconv's"
        return PeerCall(peer, f"{index}:{case}", threads)

    rows = []
    nan = float("nan")
    for name, (n, h, w, c) in LAYERS.items():
        d = data[name]
        x = d["x"]
        pads = resolve_padding("same", (h, w), (2, 2), (2, 2))
        if want("maxpool"):
            y = pool.maxpool2d_fwd(x, 2, 2, pads)
            dy = d["mp_dy"]
            err_f = float(np.abs(y - reference.maxpool2d_fwd(x, 2, 2, pads)).max())
            err_b = float(np.abs(pool.maxpool2d_bwd(x, dy, 2, 2, pads)
                                 - reference.maxpool2d_bwd(x, dy, 2, 2, pads)).max())
            peer_f, peer_b = on_peer(f"maxpool_fwd:{name}"), on_peer(f"maxpool_bwd:{name}")
            t_f, best_f, p_f, _ = compare(lambda: pool.maxpool2d_fwd(x, 2, 2, pads), peer_f)
            t_b, best_b, p_b, _ = compare(lambda: pool.maxpool2d_bwd(x, dy, 2, 2, pads), peer_b)
            rows.append((f"maxpool2d_fwd {name}", (n, h, w, c), t_f, best_f, p_f, nan,
                         x.nbytes + y.nbytes, err_f))
            rows.append((f"maxpool2d_bwd {name}", (n, h, w, c), t_b, best_b, p_b, nan,
                         2 * x.nbytes + dy.nbytes, err_b))
        if want("avgpool"):
            y = pool.avgpool2d_fwd(x, 2, 2, pads)
            dy = d["ap_dy"]
            err_f = float(np.abs(y - reference.avgpool2d_fwd(x, 2, 2, pads)).max())
            err_b = float(np.abs(pool.avgpool2d_bwd(dy, x.shape, 2, 2, pads)
                                 - reference.avgpool2d_bwd(dy, x.shape, 2, 2, pads)).max())
            peer_f = peer_b = None
            if h % 2 == 0:  # 7x7 'same' divides edge windows by the real cells: torch's ceil_mode
                peer_f = on_peer(f"avgpool_fwd:{name}")  # does not
                peer_b = on_peer(f"avgpool_bwd:{name}")
            t_f, best_f, p_f, b_f = compare(lambda: pool.avgpool2d_fwd(x, 2, 2, pads), peer_f)
            t_b, best_b, p_b, b_b = compare(lambda: pool.avgpool2d_bwd(dy, x.shape, 2, 2, pads),
                                            peer_b)
            rows.append((f"avgpool2d_fwd {name}", (n, h, w, c), t_f, best_f, p_f, b_f,
                         x.nbytes + y.nbytes, err_f))
            rows.append((f"avgpool2d_bwd {name}", (n, h, w, c), t_b, best_b, p_b, b_b,
                         x.nbytes + dy.nbytes, err_b))
        if want("bn"):
            # batch norm, training forward and backward, on the same activation
            gamma, beta = d["gamma"], d["beta"]
            mm, mv = np.zeros(c, np.float32), np.ones(c, np.float32)
            f = nn.batch_norm_fwd(x, gamma, beta, mm, mv, True)
            ref = reference.batch_norm_fwd(x, gamma, beta, mm, mv, True)
            err_f = float(np.abs(f[0] - ref[0]).max())
            b = nn.batch_norm_bwd(x, x, gamma, f[3], f[4])
            err_b = float(np.abs(b[0] - reference.batch_norm_bwd(x, x, gamma, f[3], f[4])[0]).max())
            t_f, best_f, p_f, b_f = compare(
                lambda: nn.batch_norm_fwd(x, gamma, beta, mm, mv, True), on_peer(f"bn_fwd:{name}"))
            t_b, best_b, p_b, b_b = compare(lambda: nn.batch_norm_bwd(x, x, gamma, f[3], f[4]),
                                            on_peer(f"bn_bwd:{name}"))
            rows.append((f"batch_norm_fwd {name}", (n, h, w, c), t_f, best_f, p_f, b_f,
                         3 * x.nbytes, err_f))
            rows.append((f"batch_norm_bwd {name}", (n, h, w, c), t_b, best_b, p_b, b_b,
                         5 * x.nbytes, err_b))
        if want("dropout"):
            y, mask = nn.dropout_fwd(x, 0.5, 123, True)
            ry, rmask = reference.dropout_fwd(x, 0.5, 123, True)
            assert np.array_equal(mask, rmask)
            err_f = float(np.abs(y - ry).max())
            t_f, best_f, p_f, b_f = compare(lambda: nn.dropout_fwd(x, 0.5, 123, True),
                                            on_peer(f"dropout_fwd:{name}"))
            t_b, best_b, _, b_b = compare(lambda: nn.dropout_bwd(x, mask, 0.5))
            rows.append((f"dropout_fwd {name} (y+mask)", (n, h, w, c), t_f, best_f, p_f, b_f,
                         2 * x.nbytes + mask.nbytes, err_f))
            rows.append((f"dropout_bwd {name}", (n, h, w, c), t_b, best_b, nan, b_b,
                         2 * x.nbytes + mask.nbytes, 0.0))
        if want("xent"):
            # softmax cross-entropy with activations as (N, H*W*C) logits (long rows)
            rows.append(_xent_row(f"softmax_xent {name}", x.reshape(n, -1), d["xent_ids"],
                                  on_peer(f"xent:{name}")))
    if want("xent"):
        for label in ("logits", "long rows"):
            z, ids = data[label]
            rows.append(_xent_row(f"softmax_xent {label}", z, ids,
                                  on_peer(f"xent:{label.replace(' ', '_')}")))
    return rows


def _no_grad(fn):
    def run():
        with torch.no_grad():
            return fn()
    return run


def _xent_row(label, z, ids, peer):
    z = np.ascontiguousarray(z)
    loss, dz = nn.softmax_xent_fwd(z, ids)
    ref_loss, ref_dz = reference.softmax_xent_fwd(z, ids)
    err = max(abs(loss - ref_loss), float(np.abs(dz - ref_dz).max()))
    t, best, p, b = compare(lambda: nn.softmax_xent_fwd(z, ids), peer)
    return (label + " (loss+grad)", z.shape, t, best, p, b, 2 * z.nbytes, err)


def torch_layer_cases(name, spec, d, want):
    """The peer's PyTorch calls for one layer's rows ({op:layer: fn}) and its checks of
    PyTorch's results against fastconv's ({op:layer: passed})."""
    n, h, w, c = spec
    x = d["x"]
    pads = resolve_padding("same", (h, w), (2, 2), (2, 2))
    xt = torch.from_numpy(x).permute(0, 3, 1, 2)  # NCHW view of NHWC memory: channels_last
    cases, checks = {}, {}
    if want("maxpool"):
        dy = d["mp_dy"]
        dyt = torch.from_numpy(dy).permute(0, 3, 1, 2)
        bwd = torch.ops.aten.max_pool2d_with_indices_backward
        with torch.no_grad():
            yt, idx = F.max_pool2d(xt, 2, 2, ceil_mode=True, return_indices=True)
            dxt = bwd(dyt, xt, [2, 2], [2, 2], [0, 0], [1, 1], True, idx)
        checks[f"maxpool_fwd:{name}"] = bool(np.array_equal(
            yt.permute(0, 2, 3, 1).numpy(), pool.maxpool2d_fwd(x, 2, 2, pads)))
        checks[f"maxpool_bwd:{name}"] = bool(np.allclose(
            dxt.permute(0, 2, 3, 1).numpy(), pool.maxpool2d_bwd(x, dy, 2, 2, pads)))
        cases[f"maxpool_fwd:{name}"] = _no_grad(lambda: F.max_pool2d(xt, 2, 2, ceil_mode=True))
        cases[f"maxpool_bwd:{name}"] = _no_grad(
            lambda: bwd(dyt, xt, [2, 2], [2, 2], [0, 0], [1, 1], True, idx))
    if want("avgpool") and h % 2 == 0:
        xg = xt.detach().requires_grad_(True)
        yt = F.avg_pool2d(xg, 2, 2)
        checks[f"avgpool_fwd:{name}"] = bool(np.allclose(
            yt.detach().permute(0, 2, 3, 1).numpy(), pool.avgpool2d_fwd(x, 2, 2, pads),
            atol=1e-6))
        adyt = torch.from_numpy(d["ap_dy"]).permute(0, 3, 1, 2)
        cases[f"avgpool_fwd:{name}"] = _no_grad(lambda: F.avg_pool2d(xt, 2, 2))
        cases[f"avgpool_bwd:{name}"] = _no_grad(lambda: torch.ops.aten.avg_pool2d_backward(
            adyt, xt, [2, 2], [2, 2], [0, 0], False, True, None))
    if want("bn"):
        g_t, b_t = torch.from_numpy(d["gamma"]), torch.from_numpy(d["beta"])
        rm, rv = torch.zeros(c), torch.ones(c)
        with torch.no_grad():
            _, sm, si = torch.ops.aten.native_batch_norm(xt, g_t, b_t, rm, rv, True, 0.01, 1e-3)
        cases[f"bn_fwd:{name}"] = _no_grad(lambda: torch.ops.aten.native_batch_norm(
            xt, g_t, b_t, rm, rv, True, 0.01, 1e-3))
        cases[f"bn_bwd:{name}"] = _no_grad(lambda: torch.ops.aten.native_batch_norm_backward(
            xt, xt, g_t, rm, rv, sm, si, True, 1e-3, [True, True, True]))
    if want("dropout"):
        xd = torch.from_numpy(x)
        cases[f"dropout_fwd:{name}"] = _no_grad(lambda: F.dropout(xd, 0.5, True))  # its own RNG
    if want("xent"):
        cases[f"xent:{name}"] = torch_xent(x.reshape(n, -1), d["xent_ids"])
    return cases, checks


def torch_xent(z, ids):
    zt0, it = torch.from_numpy(np.ascontiguousarray(z)), torch.from_numpy(ids)

    def run():
        zt = zt0.detach().requires_grad_(True)
        F.cross_entropy(zt, it).backward()
        return zt.grad
    return run


def torch_serve(args):
    """The PyTorch peer (see _peer.Peer): the same inputs as the parent's, from the same seeded
    generator, for each thread count in turn. Case names are `<thread count index>:<op>:<layer>`;
    the hello line carries the checks of PyTorch's results against fastconv's."""
    want = wanted(args)
    rng = np.random.default_rng(0)
    cases, checks = {}, {}
    for index, _ in enumerate(args.threads):
        data = inputs(rng, want)
        for name, spec in LAYERS.items():
            c, k = torch_layer_cases(name, spec, data[name], want)
            cases.update({f"{index}:{key}": fn for key, fn in c.items()})
            checks.update({f"{index}:{key}": ok for key, ok in k.items()})
        if want("xent"):
            for label in ("logits", "long rows"):
                cases[f"{index}:xent:{label.replace(' ', '_')}"] = torch_xent(*data[label])

    def timed(fn):
        def run(threads, warmup, repeat):
            if torch.get_num_threads() != threads:  # one call per request: only when it changes
                torch.set_num_threads(threads)
            wall, cpu = measure_samples(fn, warmup, repeat)
            return "nhwc", wall, cpu
        return run
    serve({key: timed(fn) for key, fn in cases.items()},
          hello="READY " + json.dumps({"torch": torch.__version__, "checks": checks}))


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
    ap.add_argument("--no-torch", action="store_true", help="time fastconv only")
    ap.add_argument("--_torch-serve", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._torch_serve:
        return torch_serve(args)
    CLOCK["fn"] = time.process_time_ns if args.clock == "cpu" else time.perf_counter_ns
    BASELINE["isa"] = args.baseline_isa
    have_torch = importlib.util.find_spec("torch") is not None
    peer, checks = None, {}
    if have_torch and not args.no_torch:
        # The peer's fastconv (for the checks only) leaves malloc and OpenMP alone
        # (FASTCONV_MALLOC_TUNING=0, FASTCONV_OMP_PASSIVE=0); OMP_WAIT_POLICY is inherited. When
        # PyTorch's workers spin after a call (not PASSIVE), wait for them before timing fastconv.
        passive = os.environ.get("OMP_WAIT_POLICY", "").upper() == "PASSIVE"
        peer = Peer([sys.executable, os.path.abspath(__file__), "--_torch-serve",
                     "--clock", args.clock, "--threads", *map(str, args.threads),
                     "--only", args.only, *(["--quick"] if args.quick else [])],
                    dict(os.environ, FASTCONV_MALLOC_TUNING="0", FASTCONV_OMP_PASSIVE="0"),
                    settle=0.0 if passive else SETTLE)
        hello = json.loads(peer.hello.split(" ", 1)[1])
        checks = hello["checks"]
    bw = copy_bandwidth()
    info = fastconv.cpu_info()
    versions = f"fastconv {fastconv.__version__}, numpy {np.__version__}, " + (
        f"torch {hello['torch']} (own process)" if peer is not None else
        "torch not used (--no-torch)" if have_torch else "torch not installed")
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
    for index, t in enumerate(args.threads):
        data = inputs(rng, wanted(args))
        for op, shape, ms, best, p_ms, before, nbytes, err in rows_for(t, index, args, data, peer,
                                                                        checks):
            gbs = nbytes / (ms * 1e-3) / 1e9
            ratio = p_ms / ms
            gain = before / ms
            if args.csv:
                print(f"{op},{'x'.join(map(str, shape))},{t},{ms:.4f},{best:.4f},{p_ms:.4f},{ratio:.2f},"
                      f"{before:.4f},{gain:.2f},{gbs:.2f},{100 * gbs / bw:.0f},{err:.3g}")
            else:
                print(f"{op:38s} {str(tuple(shape)):>20s} {t:3d} {ms:11.3f} {best:8.3f} {p_ms:9.3f} "
                      f"{ratio:7.2f}x {before:9.3f} {gain:5.2f}x {gbs:6.1f} {100 * gbs / bw:5.0f}% "
                      f"{err:9.2g}", flush=True)
    if peer is not None:
        peer.close()


if __name__ == "__main__":
    main()
