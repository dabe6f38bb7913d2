"""Argument checks and conversions shared by the ops.

Every op converts its array inputs here, once and visibly, and raises errors that name the op
and the argument and show the shapes involved.
"""

from __future__ import annotations

import os

import numpy as np

_NUMERIC_KINDS = "biuf"  # bool, signed, unsigned, floating


def _physical_memory_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not POSIX: assume a large machine
        return 1 << 40


# The largest array (in bytes) an op will allocate or copy into. Anything bigger than the
# machine's physical memory cannot succeed: with memory overcommit the allocation itself may
# "succeed" and the process is killed later while filling it, so such requests are refused up
# front with a ValueError that names the op and the size. Shapes are multiplied in Python ints,
# so element counts beyond 2**63 (which would wrap in C) are caught too.
MAX_ALLOC_BYTES = _physical_memory_bytes()


def check_alloc(shape, op: str, what: str, itemsize: int = 4) -> None:
    """Raise ValueError if an array of ``shape`` (``itemsize`` bytes per element) is larger
    than this machine's memory; called before allocating outputs and copies."""
    count = 1
    for d in shape:
        count *= int(d)
    if count * itemsize > MAX_ALLOC_BYTES:
        raise ValueError(
            f"{op}: {what} would have {count} elements ({count * itemsize / 2**30:.3g} GiB), "
            f"more than this machine's memory ({MAX_ALLOC_BYTES / 2**30:.3g} GiB); "
            f"shape {tuple(int(d) for d in shape)}"
        )


def as_float32(x, op: str, arg: str) -> np.ndarray:
    """Return ``x`` as a C-contiguous float32 ndarray (copying only when needed).

    Accepts NumPy arrays, anything with ``__array__`` (fastconv tensors), nested lists and
    scalars of bool/int/float type. Complex, object, string and datetime data raise TypeError.
    """
    if isinstance(x, np.ndarray):
        arr = x
    else:
        try:
            arr = np.asarray(x)
        except (ValueError, TypeError) as e:  # ragged lists and the like
            raise TypeError(f"{op}: {arg} cannot be converted to an array: {e}") from None
    if arr.dtype.kind not in _NUMERIC_KINDS:
        raise TypeError(
            f"{op}: {arg} must hold real numbers, got dtype {arr.dtype} (shape {arr.shape})"
        )
    if arr.dtype == np.float32 and arr.flags.c_contiguous:
        return arr
    # A copy is needed: refuse one that cannot fit (e.g. a zero-stride np.broadcast_to view
    # whose shape multiplies to terabytes) before NumPy tries to allocate it.
    check_alloc(arr.shape, op, f"a float32 copy of {arg}")
    # np.asarray(order="C"), not np.ascontiguousarray: the latter turns a 0-d array into 1-d.
    return np.asarray(arr, dtype=np.float32, order="C")


def check_rank(x: np.ndarray, rank: int, op: str, arg: str, layout: str = "") -> None:
    if x.ndim != rank:
        what = f" {layout}" if layout else ""
        raise ValueError(f"{op}: {arg} must have rank {rank}{what}, got shape {x.shape}")


def check_flag(value, op: str, arg: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{op}: {arg} must be a bool, got {type(value).__name__}")
    return bool(value)


def check_scalar(value, op: str, arg: str) -> float:
    if type(value) is float or type(value) is int:  # the common case, without numpy's checks
        return float(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{op}: {arg} must be a real number, got {type(value).__name__}")
    if isinstance(value, complex) or np.iscomplexobj(value):
        raise TypeError(f"{op}: {arg} must be a real number, got {value!r}")
    return float(value)


def check_activation(activation, op: str):
    """Fused activations the kernels support: None/'linear' or 'relu' (any case)."""
    if activation is None:
        return None
    if isinstance(activation, str) and activation.lower() in ("linear", "relu"):
        return None if activation.lower() == "linear" else "relu"
    raise ValueError(f"{op}: activation must be None or 'relu', got {activation!r}")


# Window geometry (strides, dilation, pads, kernel and pool sizes) larger than this is refused:
# it keeps the native index arithmetic far from int64 overflow, and no real input is that big.
MAX_GEOMETRY = 2**31


def check_geometry(op: str, **pairs) -> None:
    """Raise ValueError naming ``op`` if any value in the given ints / (nested) pairs is larger
    than MAX_GEOMETRY."""
    for name, value in pairs.items():
        flat = []
        stack = [value]
        while stack:
            v = stack.pop()
            if isinstance(v, (tuple, list)):
                stack.extend(v)
            else:
                flat.append(v)
        if any(int(v) > MAX_GEOMETRY for v in flat):
            raise ValueError(f"{op}: {name} must be <= 2**31, got {value!r}")
