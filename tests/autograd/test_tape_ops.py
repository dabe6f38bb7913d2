"""Every user-facing op's gradient through the tape vs finite differences of the float64 reference."""

from __future__ import annotations

import numpy as np
import pytest

import fastconv as fc
from fastconv import ops, reference as ref
from _tape_check import check_op


@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
def test_matmul(rng, ta, tb):
    a = rng.standard_normal((4, 3) if ta else (3, 4))
    b = rng.standard_normal((5, 4) if tb else (4, 5))
    check_op(lambda x, y: ops.matmul(x, y, transpose_a=ta, transpose_b=tb),
             lambda x, y: ref.matmul(x, y, ta, tb), [a, b], rng, f"matmul ta={ta} tb={tb}")


def test_matmul_operator(rng):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    check_op(lambda x, y: x @ y, lambda x, y: x @ y, [a, b], rng, "@")
    # ndarray @ Tensor goes through Tensor.__rmatmul__ and is recorded
    w = fc.Variable(b)
    with fc.GradientTape() as tape:
        y = a.astype(np.float32) @ w
        loss = ops.reduce_sum(y)
    assert isinstance(y, fc.Tensor)
    g = tape.gradient(loss, w)
    np.testing.assert_allclose(g, np.broadcast_to(a.sum(0)[:, None], (4, 2)), rtol=1e-5)


@pytest.mark.parametrize("activation", [None, "relu", "linear"])
@pytest.mark.parametrize("bias", [True, False])
def test_dense(rng, activation, bias):
    x, w, b = rng.standard_normal((5, 7)), rng.standard_normal((7, 3)), rng.standard_normal(3)
    act = "relu" if activation == "relu" else None
    if bias:
        check_op(lambda x_, w_, b_: ops.dense(x_, w_, b_, activation),
                 lambda x_, w_, b_: ref.dense(x_, w_, b_, act), [x, w, b], rng, "dense")
    else:
        check_op(lambda x_, w_: ops.dense(x_, w_, activation=activation),
                 lambda x_, w_: ref.dense(x_, w_, None, act), [x, w], rng, "dense no bias")


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh"])
def test_activations(rng, name):
    x = rng.standard_normal((3, 4, 5)) * 3
    check_op(getattr(ops, name), getattr(ref, f"{name}_fwd"), [x], rng, name)


def test_softmax(rng):
    x = rng.standard_normal((4, 6)) * 3
    check_op(ops.softmax, ref.softmax_fwd, [x], rng, "softmax")
    check_op(lambda z: ops.softmax(z, axis=0),
             lambda z: ref.softmax_fwd(z.T).T, [x], rng, "softmax axis=0")


@pytest.mark.parametrize("sparse", [True, False])
def test_softmax_cross_entropy(rng, sparse):
    logits = rng.standard_normal((6, 5)) * 2
    ids = rng.integers(0, 5, 6)
    labels = ids if sparse else np.eye(5)[ids]
    check_op(lambda z: ops.softmax_cross_entropy(labels, z),
             lambda z: ref.softmax_xent_fwd(z, labels)[0], [logits], rng, "xent")
    # labels as an int Tensor work too and get no gradient
    lab_t = fc.constant(labels)
    z = fc.Variable(logits)
    with fc.GradientTape() as tape:
        loss = ops.softmax_cross_entropy(lab_t, z)
    assert loss.shape == ()
    gl, gz = tape.gradient(loss, [lab_t, z])
    assert gl is None
    np.testing.assert_allclose(gz, ref.softmax_xent_fwd(z.numpy(), labels)[1], atol=1e-6)


def test_add_multiply_n_ary(rng):
    xs = [rng.standard_normal((2, 3, 4)) for _ in range(3)]
    check_op(lambda *v: ops.add(list(v)), lambda *v: ref.add_fwd(list(v)), xs, rng, "add")
    check_op(lambda *v: ops.multiply(list(v)), lambda *v: ref.multiply_fwd(list(v)), xs, rng,
             "multiply")


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_concat(rng, axis):
    shapes = [(2, 3, 4), (2, 3, 4), (2, 3, 4)]
    xs = [rng.standard_normal(s) for s in shapes]
    if axis == -1:
        xs[1] = rng.standard_normal((2, 3, 1))
    check_op(lambda *v: ops.concat(list(v), axis=axis),
             lambda *v: ref.concat_fwd(list(v), axis=axis), xs, rng, f"concat axis={axis}")


def test_shape_ops(rng):
    x = rng.standard_normal((2, 3, 4))
    check_op(lambda v: ops.reshape(v, (4, -1)), lambda v: v.reshape(4, -1), [x], rng, "reshape")
    check_op(ops.flatten, lambda v: v.reshape(2, -1), [x], rng, "flatten")
    check_op(ops.transpose, lambda v: v.T, [x], rng, "transpose")
    check_op(lambda v: ops.transpose(v, (1, 2, 0)), lambda v: v.transpose(1, 2, 0), [x], rng,
             "transpose perm")
    check_op(lambda v: v.reshape(6, 4).T, lambda v: v.reshape(6, 4).T, [x], rng, "method T")


@pytest.mark.parametrize("padding", [1, (1, 2), ((0, 2), (3, 1))])
def test_zero_pad2d(rng, padding):
    x = rng.standard_normal((2, 3, 4, 2))
    check_op(lambda v: ops.zero_pad2d(v, padding), lambda v: ref.zero_pad2d_fwd(v, padding),
             [x], rng, f"zero_pad2d {padding}")


@pytest.mark.parametrize("axis", [None, 0, -1, (1, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("name", ["reduce_sum", "reduce_mean"])
def test_reductions(rng, axis, keepdims, name):
    x = rng.standard_normal((2, 3, 4))
    check_op(lambda v: getattr(ops, name)(v, axis, keepdims),
             lambda v: getattr(ref, f"{name}_fwd")(v, axis, keepdims), [x], rng,
             f"{name} axis={axis} keepdims={keepdims}")


@pytest.mark.parametrize("sym", ["+", "-", "*", "/", "**"])
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((2, 3, 4), (4,)), ((3, 1), (1, 4)),
                                    ((2, 1, 4), (3, 1))])
def test_arithmetic_broadcasting(rng, sym, shapes):
    a = rng.standard_normal(shapes[0])
    b = rng.standard_normal(shapes[1])
    if sym == "/":
        b = np.sign(b) * (np.abs(b) + 0.5)
    if sym == "**":
        a = np.abs(a) + 0.5
    fn = {"+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y,
          "/": lambda x, y: x / y, "**": lambda x, y: x ** y}[sym]
    check_op(fn, fn, [a, b], rng, f"a {sym} b {shapes}")


def test_scalar_operands_and_unary(rng):
    x = rng.standard_normal((3, 4)) + 3.0
    check_op(lambda v: 2.0 - v * 3 + 1, lambda v: 2.0 - v * 3 + 1, [x], rng, "scalars")
    check_op(lambda v: 1.0 / v, lambda v: 1.0 / v, [x], rng, "rtruediv")
    check_op(lambda v: -v ** 2, lambda v: -v ** 2, [x], rng, "neg pow")
    check_op(lambda v: 2.0 ** v, lambda v: 2.0 ** v, [x * 0.3], rng, "rpow")
    check_op(lambda v: v.sum(axis=0) + v.mean(), lambda v: v.sum(axis=0) + v.mean(), [x], rng,
             "methods")


@pytest.mark.parametrize("index", [1, (slice(None), 2), (slice(0, 3, 2), slice(None, None, -1)),
                                   (np.array([0, 2, 0]),), (Ellipsis, None, 1),
                                   (slice(None), [3, 3, 1]), np.array([[True] * 4, [False] * 4,
                                                                      [True] * 4])])
def test_getitem(rng, index):
    x = rng.standard_normal((3, 4))
    check_op(lambda v: v[index], lambda v: v[index], [x], rng, f"getitem {index}")


def test_float32_is_kept(rng):
    t = fc.constant(rng.standard_normal((2, 2)))
    assert t.dtype == np.float32
    assert (t + np.ones((2, 2))).dtype == np.float32  # float64 array operand
    assert (t * 2.5).dtype == np.float32
    assert (np.ones((2, 2)) - t).dtype == np.float32
    i = fc.constant(np.array([1, 2, 3]))
    assert i.dtype.kind == "i" and (i + 1).dtype.kind == "i" and (i / 2).dtype == np.float32


@pytest.mark.parametrize("cfg", [
    dict(x=(2, 4, 5, 3), w=(3, 3, 3, 2), strides=1, padding="valid", dilation_rate=1),
    dict(x=(1, 6, 5, 2), w=(3, 2, 2, 3), strides=2, padding="same", dilation_rate=1),
    dict(x=(2, 7, 7, 1), w=(2, 2, 1, 2), strides=(1, 2), padding=((1, 0), (2, 1)),
         dilation_rate=(2, 1)),
    dict(x=(1, 4, 4, 3), w=(1, 1, 3, 5), strides=1, padding="SAME", dilation_rate=1),
])
@pytest.mark.parametrize("activation", [None, "relu"])
def test_conv2d(rng, cfg, activation):
    x, w = rng.standard_normal(cfg["x"]), rng.standard_normal(cfg["w"])
    b = rng.standard_normal(cfg["w"][3])
    kw = {k: cfg[k] for k in ("strides", "padding", "dilation_rate")}
    y, grads = check_op(
        lambda x_, w_, b_: ops.conv2d(x_, w_, b_, activation=activation, **kw),
        lambda x_, w_, b_: ref.conv2d(x_, w_, b_, activation=activation, **kw),
        [x, w, b], rng, f"conv2d {cfg} {activation}")
    _same_again(lambda *v: ops.conv2d(*v, activation=activation, **kw), [x, w, b], y, grads)


def _same_again(op, inputs, y, grads):
    """A second call (the cached-geometry path) gives bit-identical values and gradients."""
    vs = [fc.Variable(v) for v in inputs]
    with fc.GradientTape() as tape:
        y2 = op(*vs)
    dy = np.ones(y2.shape, np.float32)
    with fc.GradientTape() as tape1:
        y1 = op(*vs)
    np.testing.assert_array_equal(y2, y)
    np.testing.assert_array_equal(y1, y)
    for g1, g2 in zip(tape.gradient(y2, vs, output_gradients=dy),
                      tape1.gradient(y1, vs, output_gradients=dy)):
        np.testing.assert_array_equal(g1, g2)
    assert all(g is not None for g in grads)


def test_conv2d_skips_data_gradient_of_the_input(rng, monkeypatch):
    import fastconv.ops.functional as F
    calls = []
    real = F._conv2d_bwd_data
    monkeypatch.setattr(F, "_conv2d_bwd_data", lambda *a: calls.append(1) or real(*a))
    x = rng.standard_normal((1, 5, 5, 2)).astype(np.float32)
    w = fc.Variable(rng.standard_normal((3, 3, 2, 2)))
    with fc.GradientTape() as tape:
        loss = ops.reduce_sum(ops.conv2d(ops.conv2d(x, w, padding="same"), w))
    gw = tape.gradient(loss, w)
    assert gw.shape == w.shape
    assert len(calls) == 1  # only the second conv needs a data gradient
