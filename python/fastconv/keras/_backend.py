"""The global random state behind ``fastconv.random.set_seed`` / ``keras.utils.set_random_seed``
(weight initializers, fit() shuffling, dropout seeds and unseeded Dataset shuffles draw from it),
and a small array helper. The layers call the tape-recorded ops of fastconv.ops directly.
"""

from __future__ import annotations

import numpy as np

from fastconv.autograd import Tensor

_F32 = np.dtype(np.float32)

# ---- random state ----------------------------------------------------------------------------
_RNG = [np.random.default_rng()]


def set_seed(seed):
    """Make weight initialization, shuffling in fit() and dropout masks reproducible."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"set_seed: seed must be a non-negative int, got {seed!r}")
    _RNG[0] = np.random.default_rng(int(seed))


def global_rng() -> np.random.Generator:
    return _RNG[0]


def next_seed() -> int:
    """A fresh 63-bit seed from the global generator (for dropout calls)."""
    return int(_RNG[0].integers(0, 2 ** 63 - 1))


# ---- value helpers ---------------------------------------------------------------------------
def value(x) -> np.ndarray:
    """The float32 C-contiguous array behind a Tensor / Variable / array-like (no copy if possible)."""
    v = x._value if isinstance(x, Tensor) else x
    if type(v) is np.ndarray and v.dtype == _F32 and v.flags.c_contiguous:
        return v
    arr = np.asarray(v)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"expected real numbers, got dtype {arr.dtype} (shape {arr.shape})")
    return np.ascontiguousarray(arr, _F32)
