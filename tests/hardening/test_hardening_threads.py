"""Thread safety: the kernels release the GIL, so several Python threads may run ops at once.
Each thread's results must be bit-identical to the same calls made serially (per-thread
scratch buffers, no shared mutable state in the drivers), with 1 and 2 OpenMP threads per call.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

import fastconv
from fastconv import image, ops

N_THREADS = 4
ROUNDS = 10


def _workloads(rng):
    """name -> zero-argument callable returning a tuple of arrays; sizes large enough that the
    kernels block, pack and use scratch, small enough to keep the test well under a second."""
    a = rng.standard_normal((67, 129)).astype(np.float32)
    b = rng.standard_normal((129, 45)).astype(np.float32)
    x = rng.standard_normal((3, 13, 11, 5)).astype(np.float32)
    w = rng.standard_normal((3, 3, 5, 7)).astype(np.float32)
    bias = rng.standard_normal(7).astype(np.float32)
    dy = rng.standard_normal((3, 7, 6, 7)).astype(np.float32)
    imgs = rng.integers(0, 255, (6, 28, 28)).astype(np.uint8)
    pads = ((1, 1), (1, 1))
    work = {
        "gemm": lambda: (ops.gemm(a, b, transpose_a=False),),
        "gemm_t": lambda: (ops.gemm(b, a, transpose_a=True, transpose_b=True),),
        "dense_relu": lambda: (ops.dense(a, b, None, "relu").numpy(),),
        "conv2d": lambda: (ops.conv2d(x, w, bias, strides=2, padding="same",
                                      activation="relu").numpy(),),
        "conv2d_bwd_data": lambda: (ops.conv2d_bwd_data(dy, w, x.shape, (2, 2), pads),),
        "conv2d_bwd_filter": lambda: ops.conv2d_bwd_filter(x, dy, w.shape, (2, 2), pads),
        "rotate": lambda: (image.rotate(imgs, np.linspace(-20, 20, 6), fill="median"),),
        "random_rotate_shift": lambda: (image.random_rotate_shift(imgs, seed=7),),
    }
    for name in ("max_pool2d", "avg_pool2d"):  # pooling, once the nn kernels are merged
        fn = getattr(ops, name, None)
        if fn is not None:
            work[name] = (lambda f: lambda: (np.asarray(f(x, 2, 2, "same")),))(fn)
    return work


@pytest.mark.parametrize("omp_threads", [1, 2])
def test_concurrent_calls_match_serial(omp_threads, threads):
    fastconv.set_num_threads(omp_threads)
    work = _workloads(np.random.default_rng(3))
    serial = {name: [np.array(r, copy=True) for r in fn()] for name, fn in work.items()}
    names = sorted(work)
    errors = []
    barrier = threading.Barrier(N_THREADS)

    def run(tid):
        try:
            barrier.wait()
            for r in range(ROUNDS):
                # every thread walks the ops in a different order, so different kernels overlap
                for name in names[tid % len(names):] + names[:tid % len(names)]:
                    got = work[name]()
                    for g, s in zip(got, serial[name]):
                        if not np.array_equal(np.asarray(g), s):
                            errors.append(f"thread {tid} round {r}: {name} differs from serial")
        except Exception as e:  # noqa: BLE001 - reported below with the thread id
            errors.append(f"thread {tid}: {type(e).__name__}: {e}")

    pool = [threading.Thread(target=run, args=(t,)) for t in range(N_THREADS)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in pool), "a worker thread hung"
    assert not errors, "\n".join(errors[:10])
