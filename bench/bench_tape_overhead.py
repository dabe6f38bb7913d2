#!/usr/bin/env python3
"""Per-op Python overhead of fastconv's user-facing ops, without and with a GradientTape.

Every op runs on tiny inputs, so the time is almost all Python: argument handling, the Tensor
wrapper and (with a tape) building the backward closure and appending the record. For each op
the table shows the best-of-`--repeat` time per call of

  raw       the bare kernel call the op makes (NumPy or fastconv._core, arrays prepared),
  no tape   fastconv.ops.<op>(...) outside any tape,
  tape      the same inside `with GradientTape()` (records are dropped every 200 calls),
  backward  tape.gradient over a chain of 50 such ops, per op (including its tiny kernel),

and the overheads `no tape - raw` (the op layer) and `tape - no tape` (recording).
Then the lab CNN (Conv32-Pool-Conv64-Pool-Conv128-Pool-Dense256-Dense10, 28x28x1, batch 1)
end to end, when the pooling op is available, against PyTorch eager if it is installed.
Results are checked against the float64 reference before timing.

PyTorch runs in a process of its own (bench/_peer.py), as in bench_conv2d.py: it imports PyTorch
first, so PyTorch has its own OpenMP runtime and glibc malloc's defaults instead of fastconv's
runtime and malloc tuning. It builds the same network from the same seeded generator, checks it
against the float64 reference there (this process fails as before if it differs), and its
samples of 200 calls alternate with fastconv's (--no-torch: fastconv only).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sys
import time

if "--_torch-serve" in sys.argv:
    import torch  # the peer: PyTorch's OpenMP runtime is loaded first, with its own defaults
else:
    torch = None

import numpy as np

import fastconv as fc
from fastconv import _core, ops, reference

from _peer import SETTLE, Peer, serve, timed_case


CLOCKS = {
    # CPU time of this thread: stable on a shared, overloaded machine (time spent descheduled
    # is not counted), right for the per-op rows whose tiny kernels run on the calling thread.
    "cpu": time.thread_time,
    # wall time: what a user waits; includes other processes' interference and OpenMP threads.
    "wall": time.perf_counter,
}
_clock = CLOCKS["cpu"]


def _best_us(fn, number, repeat):
    fn()
    times = []
    for _ in range(repeat):
        t0 = _clock()
        for _ in range(number):
            fn()
        times.append((_clock() - t0) / number)
    # best of the samples: on a shared, loaded machine the minimum is the stable statistic
    return min(times) * 1e6


def _tape_us(fn, number, repeat):
    def run():
        with fc.GradientTape() as tape:
            for _ in range(200):
                fn()
        del tape
    return _best_us(run, max(1, number // 200), repeat) / 200


def _backward_us(fn_chain, repeat):
    """fn_chain(x) -> y applies the op once; gradient of a 50-op chain, per op."""
    x0 = fc.Variable(np.full((1, 8), 0.5, np.float32))

    def run():
        with fc.GradientTape() as tape:
            y = x0
            for _ in range(50):
                y = fn_chain(y)
            loss = ops.reduce_sum(y)
        tape.gradient(loss, x0)
    return _best_us(run, 20, repeat) / 50


def _cases(rng):
    a = rng.standard_normal((1, 8)).astype(np.float32)
    b = rng.standard_normal((1, 8)).astype(np.float32)
    ta, tb = fc.constant(a), fc.constant(b)
    w = rng.standard_normal((8, 8)).astype(np.float32) * 0.3
    bias = rng.standard_normal(8).astype(np.float32)
    vw, vb = fc.Variable(w), fc.Variable(bias)
    x4 = rng.standard_normal((1, 6, 6, 2)).astype(np.float32)
    k4 = rng.standard_normal((3, 3, 2, 4)).astype(np.float32)
    tx4, vk4 = fc.constant(x4), fc.Variable(k4)
    y_gemm = np.empty((1, 8), np.float32)
    labels = np.array([3])

    def raw_dense():
        _core.gemm(a, w, y_gemm, 1.0, 0.0, False, False, bias, True)

    cases = [
        # name, raw call, op call, chain step for the backward column, check (got, expected)
        ("relu", lambda: np.maximum(a, 0), lambda: ops.relu(ta), ops.relu,
         (lambda: ops.relu(ta), lambda: reference.relu_fwd(a))),
        ("add (t + t)", lambda: np.add(a, b), lambda: ta + tb, lambda y: y + tb,
         (lambda: ta + tb, lambda: a.astype(np.float64) + b)),
        ("multiply (t * 0.5)", lambda: np.multiply(a, 0.5), lambda: ta * 0.5,
         lambda y: y * 0.5, (lambda: ta * 0.5, lambda: a * 0.5)),
        ("dense 1x8x8 +b relu", raw_dense, lambda: ops.dense(ta, vw, vb, "relu"),
         lambda y: ops.dense(y, vw, vb, "relu"),
         (lambda: ops.dense(ta, vw, vb, "relu"), lambda: reference.dense(a, w, bias, "relu"))),
        ("conv2d 1x6x6x2 k3 f4 same",
         lambda: _core.conv2d_fwd(x4, k4, None, 1, 1, 1, 1, 1, 1, 1, 1, False),
         lambda: ops.conv2d(tx4, vk4, padding="same"), None,
         (lambda: ops.conv2d(tx4, vk4, padding="same"),
          lambda: reference.conv2d(x4, k4, padding="same"))),
        ("reduce_sum", lambda: a.sum(dtype=np.float64), lambda: ops.reduce_sum(ta), None,
         (lambda: ops.reduce_sum(ta), lambda: a.astype(np.float64).sum())),
        ("reshape", lambda: a.reshape(2, 4), lambda: ops.reshape(ta, (2, 4)),
         lambda y: ops.reshape(y, (1, 8)), (lambda: ops.reshape(ta, (2, 4)),
                                            lambda: a.reshape(2, 4))),
        ("softmax_cross_entropy", None, lambda: ops.softmax_cross_entropy(labels, ta), None,
         (lambda: ops.softmax_cross_entropy(labels, ta),
          lambda: reference.softmax_xent_fwd(a, labels)[0])),
    ]
    if hasattr(ops, "max_pool2d"):
        x8 = rng.standard_normal((1, 8, 8, 4)).astype(np.float32)
        t8 = fc.constant(x8)
        cases.append(("max_pool2d 1x8x8x4", lambda: _core.maxpool2d_fwd(x8, 2, 2, 2, 2, 0, 0, 0, 0),
                      lambda: ops.max_pool2d(t8), None,
                      (lambda: ops.max_pool2d(t8), lambda: reference.max_pool2d(x8))))
    return cases


def _lab_cnn(rng):
    shapes = [(3, 3, 1, 32), (3, 3, 32, 64), (3, 3, 64, 128)]
    convs = [(fc.Variable(rng.standard_normal(s) * np.sqrt(2 / np.prod(s[:3]))),
              fc.Variable(np.zeros(s[3]))) for s in shapes]
    d1 = (fc.Variable(rng.standard_normal((128, 256)) * 0.1), fc.Variable(np.zeros(256)))
    d2 = (fc.Variable(rng.standard_normal((256, 10)) * 0.1), fc.Variable(np.zeros(10)))

    def forward(x):
        for k, b in convs:
            x = ops.max_pool2d(ops.conv2d(x, k, b, activation="relu"))
        x = ops.flatten(x)
        return ops.dense(ops.dense(x, *d1, activation="relu"), *d2)

    def forward_ref(x):
        for k, b in convs:
            x = reference.max_pool2d(reference.conv2d(x, k.numpy(), b.numpy(),
                                                      activation="relu"))
        x = x.reshape(x.shape[0], -1)
        x = reference.dense(x, d1[0].numpy(), d1[1].numpy(), "relu")
        return reference.dense(x, d2[0].numpy(), d2[1].numpy())

    def torch_forward():
        """The network in PyTorch (the peer only): x NCHW -> logits."""
        tw = [(torch.from_numpy(k.numpy().transpose(3, 2, 0, 1).copy()),
               torch.from_numpy(b.numpy())) for k, b in convs]
        t1 = (torch.from_numpy(d1[0].numpy().T.copy()), torch.from_numpy(d1[1].numpy()))
        t2 = (torch.from_numpy(d2[0].numpy().T.copy()), torch.from_numpy(d2[1].numpy()))
        F = torch.nn.functional

        def run(x):
            with torch.no_grad():
                for k, b in tw:
                    x = F.max_pool2d(F.relu(F.conv2d(x, k, b)), 2)
                x = x.flatten(1)
                return F.linear(F.relu(F.linear(x, *t1)), *t2)
        return run

    return forward, forward_ref, torch_forward


def _best_us_with_peer(fn, peer, what, threads, number, repeat):
    """_best_us of fn, each sample followed by one of the peer's case `what` (number calls in the
    peer's process, after one warmup call the first time): (fn us, peer us), best of each."""
    fn()
    times, peer_times = [], []
    for r in range(repeat):
        t0 = _clock()
        for _ in range(number):
            fn()
        times.append((_clock() - t0) / number)
        wall, _, _ = peer.ask(what, threads, 1 if r == 0 else 0, number)
        peer_times.append(sum(wall) / number)
    return min(times) * 1e6, min(peer_times) * 1e6


def torch_serve(args):
    """The PyTorch peer (see _peer.Peer): the lab CNN for each --threads entry, built from the
    same seeded generator as the parent's (after the per-op cases, which draw from it first).
    Case `lab_cnn:<index>` runs that entry's network on its input (wall time); the hello line
    carries each one's max abs error against the float64 reference."""
    rng = np.random.default_rng(0)
    _cases(rng)
    cases, errors = {}, []
    for i, _ in enumerate(args.threads.split(",")):
        _, forward_ref, torch_forward = _lab_cnn(rng)
        x = rng.standard_normal((1, 28, 28, 1)).astype(np.float32)
        run = torch_forward()
        xt = torch.from_numpy(x.transpose(0, 3, 1, 2).copy())
        errors.append(float(np.max(np.abs(run(xt).numpy() - forward_ref(x)))))

        cases[f"lab_cnn:{i}"] = timed_case(torch.set_num_threads,
                                           lambda run=run, xt=xt: run(xt), "nchw")
    serve(cases, hello="READY " + json.dumps({"torch": torch.__version__, "errors": errors}))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    p.add_argument("--number", type=int, default=2000, help="calls per timing sample")
    p.add_argument("--repeat", type=int, default=7, help="timing samples (best reported)")
    p.add_argument("--clock", choices=sorted(CLOCKS), default="cpu",
                   help="clock for the per-op rows (the lab CNN row always shows both)")
    p.add_argument("--csv", action="store_true", help="machine-readable output")
    p.add_argument("--no-torch", action="store_true", help="time fastconv only")
    p.add_argument("--_torch-serve", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args._torch_serve:
        return torch_serve(args)
    global _clock
    rng = np.random.default_rng(0)
    info = fc.cpu_info()
    peer, peer_errors = None, []
    if (hasattr(ops, "max_pool2d") and not args.no_torch
            and importlib.util.find_spec("torch") is not None):
        # FASTCONV_MALLOC_TUNING=0 / FASTCONV_OMP_PASSIVE=0: the peer's fastconv (for the
        # reference only) leaves malloc and OpenMP as a PyTorch user has them. settle: PyTorch's
        # workers spin ~10 ms after each request, which would slow fastconv's next sample.
        peer = Peer([sys.executable, os.path.abspath(__file__), "--_torch-serve",
                     "--threads", args.threads],
                    dict(os.environ, FASTCONV_MALLOC_TUNING="0", FASTCONV_OMP_PASSIVE="0"),
                    settle=SETTLE)
        hello = json.loads(peer.hello.split(" ", 1)[1])
        peer_errors = hello["errors"]
    if not args.csv:
        print(f"# CPU: {info.get('brand', platform.processor())} | ISA: {_core.get_isa()} | "
              f"fastconv {fc.__version__} | numpy {np.__version__} | python "
              f"{sys.version.split()[0]} | per-op clock: {args.clock}"
              + (f" | torch {hello['torch']} (own process)" if peer is not None else ""))
    cases = _cases(rng)
    for name, _, _, _, (got, expected) in cases:
        err = float(np.max(np.abs(np.asarray(got(), np.float64) - expected())))
        if err > 1e-4:
            raise SystemExit(f"{name}: result differs from the reference by {err}")
    cols = ["threads", "op", "raw_us", "notape_us", "tape_us", "backward_us_per_op",
            "op_overhead_us", "record_overhead_us"]
    print(",".join(cols) if args.csv else
          f"{'thr':>3} {'op':<26} {'raw':>7} {'no tape':>8} {'tape':>8} {'backward':>9} "
          f"{'op ovh':>7} {'rec ovh':>8}   (us per call, best of --repeat)")
    for index, threads in enumerate(int(t) for t in args.threads.split(",")):
        fc.set_num_threads(threads)
        _clock = CLOCKS[args.clock]
        for name, raw, op, chain, _ in cases:
            raw_us = _best_us(raw, args.number, args.repeat) if raw else float("nan")
            notape = _best_us(op, args.number, args.repeat)
            tape = _tape_us(op, args.number, args.repeat)
            bwd = _backward_us(chain, args.repeat) if chain else float("nan")
            row = [threads, name, raw_us, notape, tape, bwd, notape - raw_us, tape - notape]
            if args.csv:
                print(",".join(str(v) if isinstance(v, (int, str)) else f"{v:.3f}" for v in row))
            else:
                print(f"{threads:>3} {name:<26} {raw_us:7.2f} {notape:8.2f} {tape:8.2f} "
                      f"{bwd:9.2f} {notape - raw_us:7.2f} {tape - notape:8.2f}")
        if hasattr(ops, "max_pool2d"):
            forward, forward_ref, _ = _lab_cnn(rng)
            x = rng.standard_normal((1, 28, 28, 1)).astype(np.float32)
            err = float(np.max(np.abs(np.asarray(forward(x)) - forward_ref(x))))
            torch_us = float("nan")
            _clock = CLOCKS["wall"]
            if peer is not None:
                torch_err = peer_errors[index]  # the peer's network against the same reference
                if torch_err > 1e-3:
                    raise SystemExit(f"torch peer differs from the reference by {torch_err}")
                fwd_us, torch_us = _best_us_with_peer(lambda: forward(x), peer,
                                                      f"lab_cnn:{index}", threads, 200,
                                                      args.repeat)
            else:
                fwd_us = _best_us(lambda: forward(x), 200, args.repeat)
            tape_us = _tape_us(lambda: forward(x), 200, args.repeat)
            _clock = time.process_time  # CPU time of all threads (OpenMP workers included)
            fwd_cpu_us = _best_us(lambda: forward(x), 200, args.repeat)
            if args.csv:
                print(f"{threads},lab_cnn_batch1_inference_wall,nan,{fwd_us:.3f},{tape_us:.3f},"
                      f"nan,cpu_us={fwd_cpu_us:.3f},torch_us={torch_us:.3f},"
                      f"max_abs_err={err:.2e}")
            else:
                print(f"{threads:>3} {'lab CNN batch-1 (wall)':<26} {'':>7} {fwd_us:8.1f} "
                      f"{tape_us:8.1f}   CPU time (all threads) {fwd_cpu_us:.1f} us; torch eager "
                      f"{torch_us:.1f} us, ratio torch/fastconv {torch_us / fwd_us:.2f}; "
                      f"max abs err {err:.1e}")
    if peer is not None:
        peer.close()


if __name__ == "__main__":
    main()
