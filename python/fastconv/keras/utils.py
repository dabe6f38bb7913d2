"""keras.utils: to_categorical, set_random_seed."""

from __future__ import annotations

import numpy as np

from fastconv.keras._backend import set_seed

__all__ = ["to_categorical", "set_random_seed"]


def to_categorical(y, num_classes=None, dtype="float32"):
    """Integer class ids (any shape; a trailing axis of size 1 is dropped) -> one-hot with a new
    last axis of size num_classes (max id + 1 when None)."""
    y = np.asarray(y)
    if y.dtype.kind == "f":
        if not np.all(y == np.round(y)):
            raise ValueError("to_categorical: y must hold integer class ids")
    elif y.dtype.kind not in "biu":
        raise TypeError(f"to_categorical: y must hold integer class ids, got dtype {y.dtype}")
    y = y.astype(np.int64)
    if y.ndim > 1 and y.shape[-1] == 1:
        y = y[..., 0]
    if y.size and y.min() < 0:
        raise ValueError(f"to_categorical: class ids must be >= 0, got {y.min()}")
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    elif y.size and y.max() >= num_classes:
        raise ValueError(f"to_categorical: class id {y.max()} is out of range for "
                         f"num_classes={num_classes}")
    out = np.zeros(y.shape + (int(num_classes),), dtype=dtype)
    np.put_along_axis(out, y[..., None], 1, axis=-1)
    return out


def set_random_seed(seed):
    """Seed everything fastconv draws at random (initializers, fit() shuffling, dropout)."""
    set_seed(seed)
