"""Chains of ops through the tape: a conv -> relu -> pool -> dense -> loss gradient against finite
differences, and a tiny CNN trained with the tape vs the same CNN in float64 NumPy (reference
forward and backward functions chained by hand)."""

from __future__ import annotations

import numpy as np

import fastconv as fc
from fastconv import ops, reference as ref
from _tape_check import f32_exact  # first: it makes tests/reference/_fd.py importable
from _fd import numeric_grad  # noqa: E402
from assertions import assert_within


def _ref_chain_loss(x, labels, w1, b1, w2, b2):
    h = ref.relu_fwd(ref.conv2d(x, w1, b1, padding="same"))
    h = ref.max_pool2d(h, 2)
    h = h.reshape(h.shape[0], -1)
    return ref.softmax_xent_fwd(ref.dense(h, w2, b2), labels)[0]


def test_conv_relu_pool_dense_loss_chain(rng):
    x = f32_exact(rng.standard_normal((2, 6, 6, 1)))
    labels = np.array([1, 2])
    params = [f32_exact(rng.standard_normal(s) * 0.5) for s in [(3, 3, 1, 2), (2,), (18, 3),
                                                                 (3,)]]
    vs = [fc.Variable(p, name=f"p{k}") for k, p in enumerate(params)]
    with fc.GradientTape() as tape:
        h = ops.relu(ops.conv2d(x, vs[0], vs[1], padding="same"))
        h = ops.flatten(ops.max_pool2d(h, 2))
        loss = ops.softmax_cross_entropy(labels, ops.dense(h, vs[2], vs[3]))
    grads = tape.gradient(loss, vs)
    assert abs(float(loss) - _ref_chain_loss(x, labels, *params)) < 1e-5
    for k, g in enumerate(grads):
        def f(z, k=k):
            args = list(params)
            args[k] = z
            return _ref_chain_loss(x, labels, *args)
        numeric = numeric_grad(f, params[k])
        assert_within(g, numeric, 1e-4 + 1e-3 * np.abs(numeric).max(), f"chain d/d param {k}")



def _ref_fused_loss(x, w1, b1, v, twice):
    y = ref.relu_fwd(ref.conv2d(x, w1, b1, padding="same"))
    loss = (ref.max_pool2d(y, 2, padding="same") * v).sum()
    return loss + (y * y).sum() * 0.1 if twice else loss


def test_conv_relu_then_pool_fused_backward_matches_fd(rng):
    """Conv2D(activation='relu') -> MaxPool: the pool's backward applies the ReLU mask and the
    conv's backward skips relu_bwd. Also with the ReLU output read by a second op (the tape sums
    two gradients, so the conv must apply relu_bwd itself). Input with many exact zeros after the
    ReLU (negative pre-activations), odd sizes so 'same' pooling clips windows."""
    for twice in (False, True):
        x = f32_exact(rng.standard_normal((2, 5, 7, 3)))
        w1 = f32_exact(rng.standard_normal((3, 3, 3, 4)) * 0.5)
        b1 = f32_exact(rng.standard_normal(4) * 0.5 - 0.5)
        v = f32_exact(rng.standard_normal((2, 3, 4, 4)))
        params = [x, w1, b1]
        ts = [fc.Variable(p) for p in params]
        with fc.GradientTape() as tape:
            y = ops.conv2d(ts[0], ts[1], ts[2], padding="same", activation="relu")
            loss = ops.reduce_sum(ops.multiply([ops.max_pool2d(y, 2, padding="same"), v]))
            if twice:
                loss = ops.add([loss, ops.multiply([ops.reduce_sum(ops.multiply([y, y])), 0.1])])
        grads = tape.gradient(loss, ts)
        assert abs(float(loss) - _ref_fused_loss(x, w1, b1, v, twice)) < 1e-3
        for k, g in enumerate(grads):
            def f(z, k=k):
                args = list(params)
                args[k] = z
                return _ref_fused_loss(*args, v, twice)
            numeric = numeric_grad(f, params[k])
            assert_within(g, numeric, 1e-3 + 1e-3 * np.abs(numeric).max(),
                          f"fused conv-relu-pool (twice={twice}) d/d input {k}")

def _init(rng):
    shapes = {"k1": (3, 3, 1, 4), "c1": (4,), "k2": (3, 3, 4, 6), "c2": (6,), "w": (6, 5),
              "b": (5,)}
    return {n: f32_exact(rng.standard_normal(s) * 0.4) for n, s in shapes.items()}


def _numpy_step(p, x, labels, lr):
    """Forward and backward of the tiny CNN in float64 with the reference kernels; SGD update."""
    pads1 = ((1, 1), (1, 1))
    z1 = ref.conv2d_fwd(x, p["k1"], p["c1"], (1, 1), pads1)
    a1 = ref.relu_fwd(z1)
    m1 = ref.maxpool2d_fwd(a1, (2, 2), (2, 2), ((0, 0), (0, 0)))
    z2 = ref.conv2d_fwd(m1, p["k2"], p["c2"])
    a2 = ref.relu_fwd(z2)
    g2 = ref.global_avgpool2d_fwd(a2)
    logits = g2 @ p["w"] + p["b"]
    loss, dlogits = ref.softmax_xent_fwd(logits, labels)
    grads = {"w": g2.T @ dlogits, "b": dlogits.sum(0)}
    dg2 = dlogits @ p["w"].T
    da2 = ref.global_avgpool2d_bwd(dg2, a2.shape)
    dz2 = ref.relu_bwd(z2, da2)
    grads["k2"], grads["c2"] = ref.conv2d_bwd_filter(m1, dz2, p["k2"].shape)
    dm1 = ref.conv2d_bwd_data(dz2, p["k2"], m1.shape)
    da1 = ref.maxpool2d_bwd(a1, dm1, (2, 2), (2, 2), ((0, 0), (0, 0)))
    dz1 = ref.relu_bwd(z1, da1)
    grads["k1"], grads["c1"] = ref.conv2d_bwd_filter(x, dz1, p["k1"].shape, (1, 1), pads1)
    for n in p:
        p[n] = p[n] - lr * grads[n]
    return loss


def test_tiny_cnn_training_matches_numpy_reference(rng):
    x = f32_exact(rng.standard_normal((4, 8, 8, 1)))
    labels = np.array([0, 3, 1, 4])
    init = _init(rng)
    ref_params = dict(init)
    vs = {n: fc.Variable(v, name=n) for n, v in init.items()}
    trainable = list(vs.values())
    lr = 0.5
    ours, theirs = [], []
    for _ in range(6):
        with fc.GradientTape() as tape:
            h = ops.conv2d(x, vs["k1"], vs["c1"], padding="same", activation="relu")
            h = ops.max_pool2d(h, 2)
            h = ops.relu(ops.conv2d(h, vs["k2"], vs["c2"]))
            logits = ops.dense(ops.global_avg_pool2d(h), vs["w"], vs["b"])
            loss = ops.softmax_cross_entropy(labels, logits)
        grads = tape.gradient(loss, trainable)
        for v, g in zip(trainable, grads):
            v.assign_sub(lr * g)
        ours.append(float(loss))
        theirs.append(_numpy_step(ref_params, x, labels, lr))
    assert theirs[-1] < theirs[0], "the reference run should learn"
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)
    for n, v in vs.items():
        assert_within(v, ref_params[n], 1e-4 * (1 + np.abs(ref_params[n])), f"param {n}")


def _ref_res_block(x, k1, g1, be1, k2):
    mm, mv = np.zeros(k1.shape[3]), np.ones(k1.shape[3])
    h = ref.conv2d(x, k1, padding="same")
    h = ref.relu_fwd(ref.batch_norm_fwd(h, g1, be1, mm, mv, True)[0])
    h = ref.conv2d(h, k2, padding="same")
    y = ref.relu_fwd(ref.add_fwd([h, x]))  # skip connection: x feeds conv and add
    y = ref.lrn_fwd(ref.concat_fwd([y, x]), 2, 1.0, 0.5, 0.75)
    return ref.reduce_mean_fwd(y * y)


def test_residual_block_with_batch_norm_concat_lrn(rng):
    x = f32_exact(rng.standard_normal((2, 3, 3, 2)))
    params = [f32_exact(a) for a in (rng.standard_normal((3, 3, 2, 2)) * 0.4,
                                     1 + 0.2 * rng.standard_normal(2),
                                     0.2 * rng.standard_normal(2),
                                     rng.standard_normal((3, 3, 2, 2)) * 0.4)]
    xs = fc.Variable(x, name="x")
    vs = [fc.Variable(p, name=f"p{k}") for k, p in enumerate(params)]
    mm = fc.Variable(np.zeros(2), trainable=False)
    mv = fc.Variable(np.ones(2), trainable=False)
    with fc.GradientTape() as tape:
        h = ops.conv2d(xs, vs[0], padding="same")
        h = ops.relu(ops.batch_norm(h, vs[1], vs[2], mm, mv, training=True))
        h = ops.conv2d(h, vs[3], padding="same")
        y = ops.relu(ops.add([h, xs]))
        y = ops.lrn(ops.concat([y, xs]), 2, 1.0, 0.5, 0.75)
        loss = ops.reduce_mean(y * y)
    grads = tape.gradient(loss, [xs] + vs)
    inputs = [x] + params
    assert abs(float(loss) - _ref_res_block(*inputs)) < 1e-5
    for k, g in enumerate(grads):
        def f(z, k=k):
            args = list(inputs)
            args[k] = z
            return _ref_res_block(*args)
        numeric = numeric_grad(f, inputs[k])
        assert_within(g, numeric, 1e-4 + 2e-3 * np.abs(numeric).max(), f"res block d/d {k}")
