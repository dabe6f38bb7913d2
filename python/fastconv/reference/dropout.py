"""float64 reference for inverted dropout with a counter-based generator.

The generator is part of the contract: the native kernel must reproduce it
bit for bit, so any element can be decided independently of thread layout.

For flat element index i (C order, uint64) and seed s (uint64), all
arithmetic modulo 2**64:

    z = s + (i + 1) * 0x9E3779B97F4A7C15
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB
    z = z ^ (z >> 31)
    u = (z >> 40) * 2**-24          # 24-bit float in [0, 1), exact in float32

The element is KEPT iff u >= rate (compare u with rate as float64; u is
exactly representable in float32 as well). Kept elements are scaled by
1 / (1 - rate) (Keras inverted dropout), dropped ones become 0.
"""

import numpy as np

from ._util import f64

__all__ = ["dropout_uniform", "dropout_mask", "dropout_fwd", "dropout_bwd"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _check_rate(rate, op):
    rate = float(rate)
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"{op}: rate must be in [0, 1), got {rate}")
    return rate


def dropout_uniform(shape, seed):
    """shape, seed (uint64 int) -> u (shape) float64 in [0, 1), see module docstring."""
    shape = tuple(int(d) for d in shape) if np.iterable(shape) else (int(shape),)
    seed = int(seed)
    if not 0 <= seed < 2 ** 64:
        raise ValueError(f"dropout: seed must fit in uint64, got {seed}")
    size = int(np.prod(shape, dtype=np.int64))
    i = np.arange(size, dtype=np.uint64)
    # uint64 array arithmetic wraps modulo 2**64, which is the definition
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + (i + np.uint64(1)) * _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
        z = z ^ (z >> np.uint64(31))
    u = (z >> np.uint64(40)).astype(np.float64) * 2.0 ** -24
    return u.reshape(shape)


def dropout_mask(shape, rate, seed):
    """shape, rate in [0,1), seed -> keep (shape) bool; True where u >= rate."""
    rate = _check_rate(rate, "dropout_mask")
    return dropout_uniform(shape, seed) >= rate


def dropout_fwd(x, rate, seed, training):
    """x (...) -> (y (...), mask (...) bool).

    training and rate > 0: y = x * mask / (1 - rate).
    Otherwise identity, and mask is all True (so dropout_bwd is identity too).
    """
    x = f64(x)
    rate = _check_rate(rate, "dropout_fwd")
    if not training or rate == 0.0:
        return x.copy(), np.ones(x.shape, dtype=bool)
    mask = dropout_mask(x.shape, rate, seed)
    return np.where(mask, x / (1.0 - rate), 0.0), mask


def dropout_bwd(dy, mask, rate):
    """dy (...), mask (...) bool, rate -> dx (...) = dy * mask / (1 - rate)."""
    dy = f64(dy)
    rate = _check_rate(rate, "dropout_bwd")
    return np.where(np.asarray(mask, dtype=bool), dy / (1.0 - rate), 0.0)
