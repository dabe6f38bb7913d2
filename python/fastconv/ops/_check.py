"""Argument checks and conversions shared by the ops.

Every op converts its array inputs here, once and visibly, and raises errors that name the op
and the argument and show the shapes involved.
"""

from __future__ import annotations

import numpy as np

_NUMERIC_KINDS = "biuf"  # bool, signed, unsigned, floating


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
    return np.ascontiguousarray(arr, dtype=np.float32)


def check_rank(x: np.ndarray, rank: int, op: str, arg: str, layout: str = "") -> None:
    if x.ndim != rank:
        what = f" {layout}" if layout else ""
        raise ValueError(f"{op}: {arg} must have rank {rank}{what}, got shape {x.shape}")


def check_flag(value, op: str, arg: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{op}: {arg} must be a bool, got {type(value).__name__}")
    return bool(value)


def check_scalar(value, op: str, arg: str) -> float:
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
