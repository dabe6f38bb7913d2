"""Memory: 1,000 training steps of a tiny CNN (conv, dense, loss, tape, SGD) keep resident memory
flat. The bound is generous (allocator noise, first-touch of scratch buffers); a leak of even
one activation per step would exceed it several times over."""

from __future__ import annotations

import os

import numpy as np

import fastconv
from fastconv import ops


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_thousand_training_steps_keep_rss_flat(threads):
    fastconv.set_num_threads(1)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 8, 8, 1)).astype(np.float32)
    labels = rng.integers(0, 10, 4)
    params = [fastconv.Variable(rng.standard_normal((3, 3, 1, 4)).astype(np.float32) * 0.3),
              fastconv.Variable(np.zeros(4, np.float32)),
              fastconv.Variable(rng.standard_normal((144, 10)).astype(np.float32) * 0.1),
              fastconv.Variable(np.zeros(10, np.float32))]
    # ~40 KB of saved activations per step: leaking one step's worth 1,000 times is ~40 MB.
    big = np.ones((4, 2500), np.float32)

    def step():
        with fastconv.GradientTape() as tape:
            h = ops.conv2d(x, params[0], params[1], padding="valid", activation="relu")
            logits = ops.dense(ops.flatten(h), params[2], params[3])
            loss = ops.softmax_cross_entropy(labels, logits) + ops.reduce_mean(big) * 0.0
        grads = tape.gradient(loss, params)
        for p, g in zip(params, grads):
            p.assign_sub(0.05 * g.numpy())
        return float(loss.numpy())

    for _ in range(50):  # warm-up: allocator pools, per-thread scratch, geometry cache
        step()
    before = _rss_bytes()
    losses = [step() for _ in range(1000)]
    growth = _rss_bytes() - before
    assert np.isfinite(losses).all() and losses[-1] < losses[0]
    assert growth < 24 * 2**20, f"RSS grew by {growth / 2**20:.1f} MiB over 1,000 steps"
