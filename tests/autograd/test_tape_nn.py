"""Pooling, dropout, batch norm and LRN through the tape vs finite differences of the reference."""

from __future__ import annotations

import numpy as np
import pytest

import fastconv as fc
from fastconv import ops, reference as ref
from _tape_check import check_op


@pytest.mark.parametrize("cfg", [
    dict(pool_size=2, strides=None, padding="valid"),
    dict(pool_size=3, strides=2, padding="same"),
    dict(pool_size=(2, 3), strides=(1, 2), padding="VALID"),
    dict(pool_size=3, strides=1, padding="SAME"),
])
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pools(rng, cfg, kind):
    x = rng.standard_normal((2, 5, 6, 2))
    op, r = getattr(ops, f"{kind}_pool2d"), getattr(ref, f"{kind}_pool2d")
    y, _ = check_op(lambda v: op(v, **cfg), lambda v: r(v, **cfg), [x], rng,
                    f"{kind}_pool2d {cfg}")
    again = op(x.astype(np.float32), **cfg)  # the cached-geometry path
    np.testing.assert_array_equal(again, y)


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_global_pools(rng, kind):
    x = rng.standard_normal((2, 3, 4, 5))
    check_op(getattr(ops, f"global_{kind}_pool2d"), getattr(ref, f"global_{kind}pool2d_fwd"),
             [x], rng, f"global_{kind}_pool2d")


def test_pool_errors_name_the_op():
    with pytest.raises(ValueError, match="max_pool2d.*rank 4"):
        ops.max_pool2d(np.zeros((4, 4, 2)))
    with pytest.raises(ValueError, match="max_pool2d"):
        ops.max_pool2d(np.zeros((1, 4, 4, 2)), 2, padding="full")


def test_dropout(rng):
    x = rng.standard_normal((3, 4, 5))
    check_op(lambda v: ops.dropout(v, 0.4, seed=1234, training=True),
             lambda v: ref.dropout_fwd(v, 0.4, 1234, True)[0], [x], rng, "dropout")
    t = fc.constant(x)
    assert ops.dropout(t, 0.4, seed=5, training=False) is t  # inference: identity, no copy
    assert ops.dropout(t, 0.4, 7, True).shape == t.shape      # positional (x, rate, seed, training)
    a = ops.dropout(t, 0.5, training=True).numpy()
    b = ops.dropout(t, 0.5, training=True).numpy()
    assert not np.array_equal(a == 0, b == 0)  # seed=None draws a fresh mask each call
    with pytest.raises(ValueError, match=r"dropout: rate must be a number in \[0, 1\)"):
        ops.dropout(t, 1.0, training=True)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm(rng, training):
    x = rng.standard_normal((4, 3, 2, 5)) * 2 + 1
    gamma, beta = rng.standard_normal(5), rng.standard_normal(5)
    mm = rng.standard_normal(5).astype(np.float32)
    mv = (rng.random(5) + 0.5).astype(np.float32)
    m64, v64 = mm.astype(np.float64), mv.astype(np.float64)
    check_op(lambda x_, g_, b_: ops.batch_norm(x_, g_, b_, mm.copy(), mv.copy(),
                                               training=training),
             lambda x_, g_, b_: ref.batch_norm_fwd(x_, g_, b_, m64, v64, training)[0],
             [x, gamma, beta], rng, f"batch_norm training={training}", rtol=5e-3)


def test_batch_norm_updates_moving_variables_in_place(rng):
    x = rng.standard_normal((8, 3)).astype(np.float32) * 3 + 2
    mm = fc.Variable(np.zeros(3), trainable=False, name="moving_mean")
    mv = fc.Variable(np.ones(3), trainable=False, name="moving_var")
    bufs = (mm._value, mv._value)
    g, b = fc.Variable(np.ones(3)), fc.Variable(np.zeros(3))
    expected = ref.batch_norm_fwd(x, np.ones(3), np.zeros(3), np.zeros(3), np.ones(3), True,
                                  momentum=0.9)
    with fc.GradientTape() as tape:
        y = ops.batch_norm(x, g, b, mm, mv, training=True, momentum=0.9)
        loss = ops.reduce_sum(y * y)
    assert (mm._value, mv._value) == bufs or (mm._value is bufs[0] and mv._value is bufs[1])
    np.testing.assert_allclose(mm.numpy(), expected[1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(mv.numpy(), expected[2], rtol=1e-5)
    gm, gv, gg = tape.gradient(loss, [mm, mv, g])
    assert gm is None and gv is None and gg.shape == (3,)
    before = mm.numpy()
    ops.batch_norm(x, g, b, mm, mv, training=False)
    np.testing.assert_array_equal(mm.numpy(), before)  # inference leaves the statistics alone
    with pytest.raises(TypeError, match="moving_mean must be float32"):
        ops.batch_norm(x, g, b, np.zeros(3), mv, training=True)


@pytest.mark.parametrize("params", [(5, 1.0, 1.0, 0.5), (1, 2.0, 1e-2, 0.75)])
def test_lrn(rng, params):
    x = rng.standard_normal((2, 3, 7))
    check_op(lambda v: ops.lrn(v, *params), lambda v: ref.lrn_fwd(v, *params), [x], rng,
             f"lrn {params}")
