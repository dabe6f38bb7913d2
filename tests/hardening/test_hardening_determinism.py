"""Determinism: a small lab-like CNN trained for a few steps with a fixed seed gives
bit-identical weights with 1 and 2 threads and across runs; and on every ISA one training step's
loss and gradients agree with a float64 reference backward pass built from fastconv.reference.

The network (built from ops + GradientTape + a hand-written SGD step until the Keras layers land):
x (N,12,12,1) -> conv 3x3x1x4 'same' + relu -> conv 3x3x4x6 stride 2 'valid' + relu -> flatten
-> dense 150x10 -> softmax cross-entropy.
"""

from __future__ import annotations

import numpy as np

import fastconv
from fastconv import ops, reference

N = 8


def _data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, 12, 12, 1)).astype(np.float32)
    labels = rng.integers(0, 10, N)
    params = [
        rng.standard_normal((3, 3, 1, 4)) * 0.5, np.full(4, 0.05),
        rng.standard_normal((3, 3, 4, 6)) * 0.3, np.full(6, 0.05),
        rng.standard_normal((150, 10)) * 0.1, np.zeros(10),
    ]
    return x, labels, [p.astype(np.float32) for p in params]


def _forward(x, labels, w1, b1, w2, b2, w3, b3):
    h1 = ops.conv2d(x, w1, b1, padding="same", activation="relu")
    h2 = ops.conv2d(h1, w2, b2, strides=2, padding="valid", activation="relu")
    logits = ops.dense(ops.flatten(h2), w3, b3)
    return ops.softmax_cross_entropy(labels, logits)


def _train(steps=4, lr=0.1):
    x, labels, init = _data()
    params = [fastconv.Variable(p) for p in init]
    losses = []
    for _ in range(steps):
        with fastconv.GradientTape() as tape:
            loss = _forward(x, labels, *params)
        grads = tape.gradient(loss, params)
        for p, g in zip(params, grads):
            p.assign_sub(lr * g.numpy())
        losses.append(float(loss.numpy()))
    return [p.numpy().copy() for p in params], losses


def test_training_is_bit_identical_across_threads_and_runs(threads):
    runs = []
    for t in (1, 2, 1, 2):
        fastconv.set_num_threads(t)
        runs.append(_train())
    w0, l0 = runs[0]
    assert l0[-1] < l0[0], f"the loss should decrease: {l0}"
    for k, (w, losses) in enumerate(runs[1:], 1):
        assert losses == l0, f"run {k}: losses {losses} != {l0}"
        for i, (a, b) in enumerate(zip(w, w0)):
            assert np.array_equal(a, b), f"run {k}: parameter {i} differs (max |diff| " \
                                         f"{np.max(np.abs(a - b))})"


def _reference_step(x, labels, w1, b1, w2, b2, w3, b3):
    """float64 loss and gradients of _forward, with the reference's forward/backward pieces."""
    same = ((1, 1), (1, 1))
    z1 = reference.conv2d_fwd(x, w1, b1, (1, 1), same)
    h1 = np.maximum(z1, 0)
    z2 = reference.conv2d_fwd(h1, w2, b2, (2, 2), ((0, 0), (0, 0)))
    h2 = np.maximum(z2, 0)
    f = h2.reshape(N, -1)
    logits = f @ w3 + b3
    loss, dlogits = reference.softmax_xent_fwd(logits, labels)
    dw3, db3 = f.T @ dlogits, dlogits.sum(0)
    dz2 = (dlogits @ w3.T).reshape(h2.shape) * (z2 > 0)
    dw2, db2 = reference.conv2d_bwd_filter(h1, dz2, w2.shape, (2, 2), ((0, 0), (0, 0)))
    dz1 = reference.conv2d_bwd_data(dz2, w2, h1.shape, (2, 2), ((0, 0), (0, 0))) * (z1 > 0)
    dw1, db1 = reference.conv2d_bwd_filter(x, dz1, w1.shape, (1, 1), same)
    return loss, [dw1, db1, dw2, db2, dw3, db3]


def test_every_isa_matches_the_reference_training_step(isa):
    x, labels, params = _data(1)
    variables = [fastconv.Variable(p) for p in params]
    with fastconv.GradientTape() as tape:
        loss = _forward(x, labels, *variables)
    grads = tape.gradient(loss, variables)
    ref_loss, ref_grads = _reference_step(x.astype(np.float64), labels,
                                          *[p.astype(np.float64) for p in params])
    assert abs(float(loss.numpy()) - ref_loss) <= 1e-5 * (1 + abs(ref_loss)), (isa, loss, ref_loss)
    for i, (g, r) in enumerate(zip(grads, ref_grads)):
        err = np.max(np.abs(g.numpy() - r))
        assert err <= 1e-4 * (np.max(np.abs(r)) + 1e-3), f"{isa}: gradient {i} off by {err}"
