"""Tensor (the value every op returns) and Variable (a named, trainable, in-place-updatable Tensor).

A Tensor wraps one NumPy array: float32 for activations and weights, integers or bools for labels
and masks. It is immutable by convention: ops never write into an input, and ``numpy()`` hands out
the wrapped array itself (no copy), so do not write into it either. A Variable owns its buffer and
changes it only through ``assign*``, in place, so a layer and its optimizer share one array.

Arithmetic operators (``+ - * / ** @``, unary ``-``, indexing) record on the active tapes and
follow NumPy broadcasting; their backward sums the gradient over the broadcast axes. Comparisons
return plain NumPy bool arrays and are not recorded (they have no gradient).
"""

from __future__ import annotations

import numpy as np

from fastconv.autograd._state import _STATE, record

__all__ = ["Tensor", "Variable", "constant", "convert_to_tensor"]

_F32 = np.dtype(np.float32)
_new = object.__new__


def _to_array(value, dtype=None) -> np.ndarray:
    """value -> ndarray: floats become float32 (the library's only float type), integers and
    bools keep their type, anything else is a TypeError."""
    if isinstance(value, Tensor):
        value = value._value
    if dtype is not None:
        return np.asarray(value, dtype=dtype)
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as e:
        raise TypeError(f"Tensor: cannot convert {type(value).__name__} to an array: {e}") from None
    kind = arr.dtype.kind
    if kind == "f":
        if arr.dtype == _F32:
            return arr
        # A zero-stride view (np.broadcast_to) can describe terabytes; refuse the copy before
        # NumPy tries to allocate it. Imported here: fastconv.ops imports this module.
        from fastconv.ops._check import check_alloc
        check_alloc(arr.shape, "Tensor", "a float32 copy of the value")
        return arr.astype(_F32)
    if kind in "biu":
        return arr
    raise TypeError(f"Tensor: values must be real numbers or bools, got dtype {arr.dtype} "
                    f"(shape {arr.shape})")


def _wrap(arr: np.ndarray) -> "Tensor":
    """Internal fast constructor: wrap an array that is already the right dtype, no checks."""
    t = _new(Tensor)
    t._value = arr
    return t


def _unbroadcast(g: np.ndarray, shape) -> np.ndarray:
    """Sum g over the axes NumPy broadcast to reach g.shape from `shape`."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    if lead:
        g = g.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def _operand(x):
    """An arithmetic operand's array. Python scalars stay scalars (NumPy 2 keeps float32 then)."""
    if isinstance(x, Tensor):
        return x._value
    if isinstance(x, (int, float, bool)):
        return x
    return _to_array(x)


def _fix_dtype(y):
    # float32 op float64-array, or int / int, gives float64: keep the library's float32
    y = np.asarray(y)
    if y.dtype.kind == "f" and y.dtype != _F32:
        y = y.astype(_F32)
    return y


def _shape(v):
    return np.shape(v)


def _binary(name, a, b, fwd, bwd):
    av, bv = _operand(a), _operand(b)
    y = _fix_dtype(fwd(av, bv))
    out = _wrap(y)
    if _STATE.tapes:
        def backward(dy, needs):
            ga, gb = bwd(dy, av, bv, y, needs)
            return (None if ga is None else _fix_dtype(_unbroadcast(ga, _shape(av))),
                    None if gb is None else _fix_dtype(_unbroadcast(gb, _shape(bv))))
        record(name, (a, b), out, backward)
    return out


def _add_bwd(dy, a, b, y, needs):
    return (dy if needs[0] else None, dy if needs[1] else None)


def _sub_bwd(dy, a, b, y, needs):
    return (dy if needs[0] else None, -dy if needs[1] else None)


def _mul_bwd(dy, a, b, y, needs):
    return (dy * b if needs[0] else None, dy * a if needs[1] else None)


def _div_bwd(dy, a, b, y, needs):
    return (dy / b if needs[0] else None, -dy * y / b if needs[1] else None)


def _pow_bwd(dy, a, b, y, needs):
    ga = dy * b * np.power(a, b - 1) if needs[0] else None
    gb = None
    if needs[1]:
        # d(a^b)/db = a^b log a, taken as 0 where a == 0 (the limit for b > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            gb = np.where(a > 0, dy * y * np.log(np.where(a > 0, a, 1)), 0).astype(_F32)
    return ga, gb


def _add(a, b):
    return _binary("add", a, b, np.add, _add_bwd)


def _sub(a, b):
    return _binary("subtract", a, b, np.subtract, _sub_bwd)


def _mul(a, b):
    return _binary("multiply", a, b, np.multiply, _mul_bwd)


def _div(a, b):
    return _binary("divide", a, b, np.true_divide, _div_bwd)


def _pow(a, b):
    return _binary("pow", a, b, np.power, _pow_bwd)


def _matmul(a, b):
    from fastconv.ops.functional import matmul  # ops import this module: bind at call time

    return matmul(a, b)


def _getitem(x, index):
    if isinstance(index, Tensor):
        index = index._value
    elif isinstance(index, tuple):
        index = tuple(i._value if isinstance(i, Tensor) else i for i in index)
    xv = x._value
    y = xv[index]
    out = _wrap(np.array(y) if type(y) is not np.ndarray else y)
    if _STATE.tapes:
        basic = all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice))
                    for i in (index if isinstance(index, tuple) else (index,)))

        def backward(dy, needs):
            dx = np.zeros(xv.shape, dy.dtype)
            if basic:  # a basic index selects each element at most once
                dx[index] = dy
            else:  # advanced indices may repeat an element: accumulate
                np.add.at(dx, index, dy)
            return (dx,)
        record("getitem", (x,), out, backward)
    return out


class Tensor:
    """An immutable array value: what every fastconv op returns.

    Tensor(value, dtype=None): floats are stored as float32, ints/bools keep their dtype.
    """

    __slots__ = ("_value",)
    # Makes `ndarray + tensor` call Tensor.__radd__ (recorded) instead of converting the tensor.
    __array_priority__ = 1000.0

    def __init__(self, value, dtype=None):
        self._value = _to_array(value, dtype)

    # ---- NumPy interop and properties -------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """The wrapped array itself (no copy): treat it as read-only."""
        return self._value

    def __array__(self, dtype=None, copy=None):
        v = self._value
        if dtype is not None and v.dtype != dtype:
            if copy is False:
                raise ValueError(f"Tensor.__array__: converting {v.dtype} to {np.dtype(dtype)} "
                                 f"needs a copy, but copy=False")
            return v.astype(dtype)
        return v.copy() if copy else v

    @property
    def shape(self) -> tuple:
        return self._value.shape

    @property
    def dtype(self) -> np.dtype:
        return self._value.dtype

    @property
    def ndim(self) -> int:
        return self._value.ndim

    @property
    def size(self) -> int:
        return self._value.size

    def __len__(self):
        if self._value.ndim == 0:
            raise TypeError("len() of a scalar (0-d) Tensor")
        return self._value.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __repr__(self):
        body = np.array2string(self._value, separator=", ", threshold=20, edgeitems=3)
        return f"{type(self).__name__}({body}, shape={self.shape}, dtype={self.dtype})"

    def __float__(self):
        return float(self._value)

    def __int__(self):
        return int(self._value)

    def __format__(self, spec):
        # The labs print losses with '{:.4f}'.format(loss), as TF's EagerTensor allows: a
        # one-element tensor formats as its scalar; anything else formats like its array.
        if spec and self._value.size == 1:
            return format(self._value.reshape(()).item(), spec)
        return format(str(self) if not spec else self._value, spec)

    def __bool__(self):
        return bool(self._value)

    # Identity hash: tensors and variables can be dict keys although == is elementwise.
    __hash__ = object.__hash__

    # ---- comparisons: NumPy bool arrays, not recorded --------------------------------------
    def __eq__(self, other):
        return self._value == _operand(other)

    def __ne__(self, other):
        return self._value != _operand(other)

    def __lt__(self, other):
        return self._value < _operand(other)

    def __le__(self, other):
        return self._value <= _operand(other)

    def __gt__(self, other):
        return self._value > _operand(other)

    def __ge__(self, other):
        return self._value >= _operand(other)

    # ---- recorded arithmetic ----------------------------------------------------------------
    def __add__(self, other):
        return _add(self, other)

    def __radd__(self, other):
        return _add(other, self)

    def __sub__(self, other):
        return _sub(self, other)

    def __rsub__(self, other):
        return _sub(other, self)

    def __mul__(self, other):
        return _mul(self, other)

    def __rmul__(self, other):
        return _mul(other, self)

    def __truediv__(self, other):
        return _div(self, other)

    def __rtruediv__(self, other):
        return _div(other, self)

    def __pow__(self, other):
        return _pow(self, other)

    def __rpow__(self, other):
        return _pow(other, self)

    def __matmul__(self, other):
        return _matmul(self, other)

    def __rmatmul__(self, other):
        return _matmul(other, self)

    def __neg__(self):
        xv = self._value
        out = _wrap(-xv)
        if _STATE.tapes:
            record("negative", (self,), out, lambda dy, needs: (-dy,))
        return out

    def __pos__(self):
        return self

    def __getitem__(self, index):
        return _getitem(self, index)

    # ---- conveniences that forward to fastconv.ops -------------------------------------------
    def reshape(self, *shape):
        from fastconv.ops.functional import reshape

        return reshape(self, shape[0] if len(shape) == 1 else shape)

    @property
    def T(self):
        from fastconv.ops.functional import transpose

        return transpose(self)

    def sum(self, axis=None, dtype=None, out=None, keepdims=False):
        """Recorded reduce_sum; with dtype/out (as np.sum(tensor, dtype=...) passes) a plain
        NumPy sum of the value, not recorded."""
        if dtype is not None or out is not None:
            return np.sum(self._value, axis=axis, dtype=dtype, out=out, keepdims=keepdims)
        from fastconv.ops.functional import reduce_sum

        return reduce_sum(self, axis, keepdims)

    def mean(self, axis=None, dtype=None, out=None, keepdims=False):
        """Recorded reduce_mean; with dtype/out a plain NumPy mean, not recorded."""
        if dtype is not None or out is not None:
            return np.mean(self._value, axis=axis, dtype=dtype, out=out, keepdims=keepdims)
        from fastconv.ops.functional import reduce_mean

        return reduce_mean(self, axis, keepdims)


class Variable(Tensor):
    """A named, mutable Tensor: layer weights, optimizer slots, batch-norm moving statistics.

    Variable(initial_value, trainable=True, name=None, dtype=float32). initial_value may be an
    array-like or a zero-argument callable returning one; it is copied, so the Variable owns a
    C-contiguous buffer that ``assign``/``assign_add``/``assign_sub`` update in place (the shape
    never changes). Any tape active while a trainable Variable is used by an op watches it.
    """

    __slots__ = ("name", "trainable")

    def __init__(self, initial_value, trainable=True, name=None, dtype=np.float32):
        if callable(initial_value):
            initial_value = initial_value()
        if isinstance(initial_value, Tensor):
            initial_value = initial_value._value
        try:
            value = np.array(initial_value, dtype=dtype, order="C", copy=True)
        except (ValueError, TypeError) as e:
            raise TypeError(f"Variable: cannot convert initial_value of type "
                            f"{type(initial_value).__name__} to {np.dtype(dtype)}: {e}") from None
        self._value = value
        self.trainable = bool(trainable)
        self.name = "Variable" if name is None else str(name)

    def numpy(self) -> np.ndarray:
        """A copy of the current value (the buffer keeps changing under assign)."""
        return self._value.copy()

    def _checked(self, value, method):
        v = value._value if isinstance(value, Tensor) else np.asarray(value)
        if v.shape != self._value.shape:
            raise ValueError(f"Variable '{self.name}'.{method}: value has shape {v.shape}, "
                             f"the variable has shape {self._value.shape}")
        return v

    def assign(self, value):
        """Overwrite the value in place; returns self."""
        np.copyto(self._value, self._checked(value, "assign"), casting="unsafe")
        return self

    def assign_add(self, delta):
        np.add(self._value, self._checked(delta, "assign_add"), out=self._value,
               casting="unsafe")
        return self

    def assign_sub(self, delta):
        np.subtract(self._value, self._checked(delta, "assign_sub"), out=self._value,
                    casting="unsafe")
        return self

    def __repr__(self):
        body = np.array2string(self._value, separator=", ", threshold=20, edgeitems=3)
        return (f"Variable('{self.name}', shape={self.shape}, dtype={self.dtype}, "
                f"trainable={self.trainable}, numpy={body})")


def constant(value, dtype=None) -> Tensor:
    """A new Tensor holding a copy of value (floats -> float32 unless dtype says otherwise)."""
    arr = _to_array(value, dtype)
    return _wrap(arr.copy() if isinstance(value, np.ndarray) and arr is value else arr)


def convert_to_tensor(value, dtype=None) -> Tensor:
    """value as a Tensor: a Tensor (or Variable) of the right dtype is returned as it is; arrays
    are wrapped without a copy when already float32 / integer."""
    if isinstance(value, Tensor) and (dtype is None or value._value.dtype == np.dtype(dtype)):
        return value
    return _wrap(_to_array(value, dtype))
