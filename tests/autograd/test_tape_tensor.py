"""Tensor and Variable: construction, dtypes, NumPy interop, in-place assignment."""

from __future__ import annotations

import numpy as np
import pytest

import fastconv as fc


def test_tensor_basics():
    t = fc.constant([[1, 2, 3], [4, 5, 6]], dtype=np.float32)
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and len(t) == 2
    assert t.dtype == np.float32
    assert fc.constant([1.5]).dtype == np.float32          # floats -> float32
    assert fc.constant(np.arange(3)).dtype == np.int64     # labels keep their integer type
    assert fc.constant([True]).dtype == np.bool_
    assert float(fc.constant(2.5)) == 2.5 and int(fc.constant(3)) == 3
    with pytest.raises(TypeError, match="len"):
        len(fc.constant(1.0))
    with pytest.raises(TypeError, match="dtype"):
        fc.constant(["a"])
    assert [r.shape for r in t] == [(3,), (3,)]
    assert "shape=(2, 3)" in repr(t) and "float32" in repr(t)


def test_numpy_interop():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = fc.convert_to_tensor(a)
    assert t.numpy() is a                       # wrapped without a copy
    assert np.asarray(t) is a
    assert np.array(t, copy=False) is a
    c = np.array(t)
    assert c is not a and np.array_equal(c, a)
    d = np.asarray(t, dtype=np.float64)
    assert d.dtype == np.float64 and np.array_equal(d, a)
    with pytest.raises(ValueError, match="copy=False"):
        np.array(t, dtype=np.float64, copy=False)
    assert np.isnan(fc.constant([np.nan, 1.0])).tolist() == [True, False]
    assert fc.convert_to_tensor(t) is t
    assert fc.constant(a).numpy() is not a      # constant copies
    # comparisons give NumPy bool arrays, not recorded
    assert isinstance(t > 2, np.ndarray) and (t > 2).sum() == 3
    assert (t == a).all()
    # ndarray (op) Tensor dispatches to the Tensor's reflected operator
    assert isinstance(np.ones((2, 3)) + t, fc.Tensor)
    assert isinstance(np.ones((2, 3)) * t, fc.Tensor)
    assert isinstance(np.float32(2.0) * t, fc.Tensor)  # NumPy scalars defer too
    # np.sum / np.mean call the Tensor's methods: recorded reductions (plain NumPy with dtype=)
    assert isinstance(np.mean(t), fc.Tensor) and float(np.sum(t)) == 15.0
    assert np.sum(t, dtype=np.float64).dtype == np.float64


def test_variable_assign_in_place():
    v = fc.Variable(np.zeros((2, 2)), name="kernel")
    buf = v._value
    assert v.dtype == np.float32 and v.name == "kernel" and v.trainable
    v.assign(np.ones((2, 2)))
    v.assign_add(fc.constant(np.full((2, 2), 2.0)))
    v.assign_sub(np.full((2, 2), 0.5))
    assert v._value is buf                       # same buffer: layers and optimizers share it
    np.testing.assert_array_equal(v.numpy(), np.full((2, 2), 2.5))
    assert v.numpy() is not buf                  # numpy() of a Variable is a snapshot
    with pytest.raises(ValueError, match=r"Variable 'kernel'.assign: value has shape \(3,\), the "
                                         r"variable has shape \(2, 2\)"):
        v.assign(np.ones(3))
    with pytest.raises(ValueError, match="assign_add"):
        v.assign_add(np.ones((1, 2)))
    assert "Variable('kernel'" in repr(v)
    w = fc.Variable(lambda: np.ones(3), trainable=False)
    assert not w.trainable and w.shape == (3,) and w.name == "Variable"
    src = np.ones(3, np.float32)
    assert fc.Variable(src)._value is not src    # the variable owns a copy
    i = fc.Variable([1, 2], dtype=np.int32)
    assert i.dtype == np.int32
    # Variables hash by identity so they can key dicts (optimizer slots)
    assert {v: 1, w: 2}[v] == 1


def test_variable_and_tensor_as_op_inputs():
    v = fc.Variable(np.eye(2))
    y = fc.ops.matmul(v, np.array([[1.0], [2.0]]))
    assert isinstance(y, fc.Tensor) and y.shape == (2, 1)
    np.testing.assert_array_equal(y, [[1.0], [2.0]])


def test_format_like_eager_tensor():
    import fastconv

    t = fastconv.constant(0.123456)
    assert "{:.4f}".format(t) == "0.1235"
    assert f"{fastconv.constant([2.5]):.1f}" == "2.5"
    assert "{}".format(t) == str(t)
    import pytest

    with pytest.raises(TypeError):
        "{:.2f}".format(fastconv.constant([1.0, 2.0]))
