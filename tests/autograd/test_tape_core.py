"""GradientTape semantics: watching, accumulation, structures, persistence, errors, nesting."""

from __future__ import annotations

import collections
import threading

import numpy as np
import pytest

import fastconv as fc
from fastconv import ops


def _v(a, **kw):
    return fc.Variable(np.asarray(a, np.float32), **kw)


def test_value_used_twice_accumulates():
    x = _v([1.0, -2.0, 3.0])
    with fc.GradientTape() as tape:
        y = ops.reduce_sum(x * x + x)  # x feeds three ops
    np.testing.assert_allclose(tape.gradient(y, x), 2 * x.numpy() + 1)


def test_skip_connection_accumulates(rng):
    w = _v(rng.standard_normal((4, 4)))
    x = fc.constant(rng.standard_normal((3, 4)))
    with fc.GradientTape() as tape:
        h = ops.matmul(x, w)
        y = ops.add([h, ops.relu(h)])  # ResNet-style: h is used by add and by relu
        loss = ops.reduce_sum(y)
    g = tape.gradient(loss, w)
    hv = x.numpy() @ w.numpy()
    expected = x.numpy().T @ (1.0 + (hv > 0))
    np.testing.assert_allclose(g, expected, rtol=1e-5, atol=1e-6)


def test_unconnected_sources():
    a, b = _v([1.0, 2.0]), _v([[3.0]])
    with fc.GradientTape(persistent=True) as tape:
        y = ops.reduce_sum(a * 2.0)
    ga, gb = tape.gradient(y, [a, b])
    np.testing.assert_array_equal(ga, [2.0, 2.0])
    assert gb is None
    ga, gb = tape.gradient(y, [a, b], unconnected_gradients="zero")
    assert gb.shape == (1, 1) and gb.dtype == np.float32 and not gb.numpy().any()
    with pytest.raises(ValueError, match="unconnected_gradients"):
        tape.gradient(y, a, unconnected_gradients="maybe")


def test_watching_rules():
    c = fc.constant([1.0, 2.0])
    frozen = _v([1.0, 2.0], trainable=False)
    with fc.GradientTape(persistent=True) as tape:
        y = ops.reduce_sum(c * c + frozen * 3.0)
    # constants and non-trainable variables are not watched unless asked to: None (as TF)
    assert tape.gradient(y, [c, frozen]) == [None, None]
    with fc.GradientTape() as tape:
        tape.watch([c, frozen])
        y = ops.reduce_sum(c * c + frozen * 3.0)
    gc_, gf = tape.gradient(y, [c, frozen])
    np.testing.assert_array_equal(gc_, [2.0, 4.0])
    np.testing.assert_array_equal(gf, [3.0, 3.0])
    v = _v([1.0])
    with fc.GradientTape(watch_accessed_variables=False) as tape:
        y = v * 2.0
    assert tape.gradient(y, v) is None
    with fc.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(v)
        y = v * 2.0
    np.testing.assert_array_equal(tape.gradient(y, v), [2.0])
    assert tape.watched_variables() == ()  # released after gradient
    with fc.GradientTape() as tape:
        y = v * frozen[:1]
    assert tape.watched_variables() == (v,)


def test_intermediate_source():
    x = _v([1.0, 2.0])
    with fc.GradientTape() as tape:
        h = x * 3.0
        y = ops.reduce_sum(h * h)
    gh, gx = tape.gradient(y, [h, x])
    np.testing.assert_allclose(gh, 2 * h.numpy())
    np.testing.assert_allclose(gx, 18 * x.numpy())


def test_nested_structures_and_single_source():
    a, b, c = _v(1.0), _v([2.0]), _v([[3.0]])
    Pair = collections.namedtuple("Pair", "first second")
    with fc.GradientTape(persistent=True) as tape:
        y = ops.reduce_sum(a * b * c)
    g = tape.gradient(y, {"a": a, "rest": [b, (c, Pair(a, b))]})
    assert set(g) == {"a", "rest"} and isinstance(g["rest"], list)
    assert isinstance(g["rest"][1], tuple) and isinstance(g["rest"][1][1], Pair)
    np.testing.assert_allclose(g["a"], 6.0)
    np.testing.assert_allclose(g["rest"][1][1].second, [3.0])
    single = tape.gradient(y, c)
    assert isinstance(single, fc.Tensor) and single.shape == (1, 1)
    assert isinstance(tape.gradient(y, (a,)), tuple)


def test_output_gradients_and_target_lists(rng):
    x = _v(rng.standard_normal((2, 3)))
    dy = rng.standard_normal((2, 3)).astype(np.float32)
    with fc.GradientTape(persistent=True) as tape:
        y = x * 2.0
        s1 = ops.reduce_sum(x)
        s2 = ops.reduce_sum(x * x)
    np.testing.assert_allclose(tape.gradient(y, x, output_gradients=dy), 2 * dy)
    np.testing.assert_allclose(tape.gradient([s1, s2], x), 1 + 2 * x.numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match=r"output_gradients\[0\] has shape \(3,\).*\(2, 3\)"):
        tape.gradient(y, x, output_gradients=np.ones(3))


def test_errors():
    x = _v(np.ones((2, 3)))
    with fc.GradientTape() as tape:
        y = x * 2.0
    with pytest.raises(ValueError, match=r"target has shape \(2, 3\), not a scalar"):
        tape.gradient(y, x)
    with pytest.raises(TypeError, match="source 1 is a ndarray"):
        tape.gradient(ops.reduce_sum(y), [x, np.ones(2)])
    with pytest.raises(TypeError, match="watch"):
        tape.watch(np.ones(3))
    with pytest.raises(TypeError, match="target 0 is a float"):
        tape.gradient(1.0, x)


def test_non_persistent_tape_releases_and_refuses_second_call():
    x = _v([1.0, 2.0])
    with fc.GradientTape() as tape:
        y = ops.reduce_sum(x * x)
    assert len(tape._records) == 2
    tape.gradient(y, x)
    assert tape._records == []  # saved buffers released
    with pytest.raises(RuntimeError, match="only be called once.*persistent=True"):
        tape.gradient(y, x)


def test_persistent_tape_allows_several_calls():
    x = _v([1.0, 2.0])
    with fc.GradientTape(persistent=True) as tape:
        y = ops.reduce_sum(x * x)
        z = ops.reduce_sum(x * 3.0)
    np.testing.assert_array_equal(tape.gradient(y, x), [2.0, 4.0])
    np.testing.assert_array_equal(tape.gradient(z, x), [3.0, 3.0])
    np.testing.assert_array_equal(tape.gradient(y, x), [2.0, 4.0])
    tape.reset()
    assert tape.gradient(y, x) is None


def test_nested_tapes_each_record():
    x = _v([3.0])
    with fc.GradientTape() as outer:
        a = x * 2.0
        with fc.GradientTape() as inner:
            b = a * x
        gi = inner.gradient(b, x)
        c = b + a
    # the inner tape saw only b = a * x; a was computed before it started, so it is a constant
    np.testing.assert_array_equal(gi, [6.0])
    np.testing.assert_array_equal(outer.gradient(c, x), [4 * 3.0 + 2.0])
    with pytest.raises(RuntimeError, match="already recording"):
        with outer:
            with outer:
                pass


def test_stop_recording():
    x = _v([2.0])
    with fc.GradientTape() as tape:
        y = x * x
        with tape.stop_recording():
            z = y * 10.0  # not recorded: a constant to the tape
        w = y + z
    np.testing.assert_array_equal(tape.gradient(w, x), [4.0])


def test_other_threads_do_not_record():
    x = _v([2.0])
    with fc.GradientTape() as tape:
        y = x * x
        t = threading.Thread(target=lambda: x * 5.0)
        t.start()
        t.join()
    assert [r[0] for r in tape._records] == ["multiply"]
    np.testing.assert_array_equal(tape.gradient(y, x), [4.0])


def test_gradient_inside_the_context_and_repr():
    x = _v([1.0])
    with fc.GradientTape() as tape:
        y = ops.relu(x * 2.0)
        assert "multiply, relu" in repr(tape)
        g = tape.gradient(y, x)
    np.testing.assert_array_equal(g, [2.0])


def test_backward_shape_bug_is_named():
    from fastconv.autograd import record
    x = _v([1.0, 2.0])
    with fc.GradientTape() as tape:
        out = fc.constant(5.0)
        record("broken_op", (x,), out, lambda dy, needs: (np.ones(3, np.float32),))
    with pytest.raises(RuntimeError, match=r"'broken_op'.*\(3,\).*\(2,\)"):
        tape.gradient(out, x)


def test_op_errors_name_op_and_shapes():
    with pytest.raises(ValueError, match=r"dense: x has 3 features but w expects 4"):
        ops.dense(np.ones((2, 3)), fc.Variable(np.ones((4, 5))))
    with pytest.raises(ValueError, match=r"inner dimensions differ.*2x3.*4x5"):
        fc.constant(np.ones((2, 3))) @ fc.constant(np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"add: input 1 has shape \(2,\), input 0 has \(3,\)"):
        ops.add([np.ones(3), np.ones(2)])
    with pytest.raises(ValueError, match=r"concat: cannot concatenate"):
        ops.concat([np.ones((2, 3)), np.ones((3, 3))])
    with pytest.raises(ValueError, match=r"reshape: cannot reshape x.shape=\(2, 3\) to \(4,\)"):
        ops.reshape(np.ones((2, 3)), (4,))
    with pytest.raises(ValueError, match=r"reduce_sum: axis 3 is out of range"):
        ops.reduce_sum(np.ones((2, 3)), axis=3)
    with pytest.raises(ValueError, match=r"softmax_cross_entropy: labels.shape=\(3,\) but logits"):
        ops.softmax_cross_entropy(np.array([0, 1, 2]), np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"class ids must be in \[0, 4\)"):
        ops.softmax_cross_entropy(np.array([0, 4]), np.ones((2, 4)))
    with pytest.raises(ValueError, match="zero_pad2d: x must have rank 4"):
        ops.zero_pad2d(np.ones((2, 3)), 1)
    with pytest.raises(ValueError, match=r"broadcast"):
        fc.constant(np.ones(3)) + fc.constant(np.ones(2))
