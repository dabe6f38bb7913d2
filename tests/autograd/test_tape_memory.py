"""Recording must not leak across training steps: flat RSS, and no reference cycles (so plain
reference counting frees every step's saved buffers, even with the cyclic GC switched off)."""

from __future__ import annotations

import gc
import os

import numpy as np

import fastconv as fc
from fastconv import ops


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        resident_pages = int(f.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


def test_training_loop_keeps_flat_rss(threads):
    # one thread: on a loaded 2-core machine OpenMP barriers can cost milliseconds per call
    fc.set_num_threads(1)
    rng = np.random.default_rng(0)
    # Few FLOPs but 128 KB activations: a step that leaked its ~6 saved buffers would add ~0.7 MB,
    # ~200 MB over the loop.
    x = rng.standard_normal((8, 32)).astype(np.float32)
    labels = rng.integers(0, 10, 8)
    w1 = fc.Variable(rng.standard_normal((32, 4096)) * 0.1, name="w1")
    b1 = fc.Variable(np.zeros(4096), name="b1")
    w2 = fc.Variable(rng.standard_normal((4096, 10)) * 0.01, name="w2")
    params = [w1, b1, w2]

    def step():
        with fc.GradientTape() as tape:
            h = ops.dense(x, w1, b1, "relu")
            h = ops.add([h, h * 0.5])  # a value used twice
            logits = ops.matmul(h, w2)
            loss = ops.softmax_cross_entropy(labels, logits)
        grads = tape.gradient(loss, params)
        for p, g in zip(params, grads):
            p.assign_sub(g * 0.01)
        return float(loss)

    for _ in range(20):  # warm up allocator pools
        step()
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        before = _rss_bytes()
        losses = [step() for _ in range(300)]
        growth = _rss_bytes() - before
        unreachable = gc.collect()
    finally:
        if was_enabled:
            gc.enable()
    assert losses[-1] < losses[0]
    assert growth < 50 * 2**20, f"RSS grew by {growth / 2**20:.1f} MB over 300 steps"
    assert unreachable < 100, f"{unreachable} objects were only collectable by the cyclic GC"
