"""Shared machinery for the property-based fuzz tests of the Python boundary (tests/fuzz/).

Every fuzz test draws a call — shapes, argument values, and for each array argument a *form*
(float32/float64/int/bool/half, C/Fortran order, strided, negative strides, read-only, a nested
Python list, a fastconv Tensor, or a dtype that must be refused) — then runs the op and checks
the one promise fastconv makes at its boundary:

* the op returns a result equal to ``fastconv.reference`` on the values it was given (NaN where
  the reference has NaN, the same infinities, finite values within a rounding bound), or
* it raises ``ValueError`` / ``TypeError`` whose message names the op.

Anything else (a different exception, a crash, a wrong value) fails the test. Calls built to be
valid must succeed; calls with an unsupported dtype must raise TypeError.

Case counts: ``FASTCONV_FUZZ_EXAMPLES`` (default 30, what `make test` runs; `make test-fuzz`
sets 1000). The default run is derandomized so the normal suite is reproducible; the long run
explores new cases each time and prints a reproducer on failure.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import fastconv

EXAMPLES = int(os.environ.get("FASTCONV_FUZZ_EXAMPLES", "30"))

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=EXAMPLES <= 100,
    database=None,
    suppress_health_check=list(HealthCheck),
)

# Tests of native kernels run once per ISA (the `isa` fixture); the op's case budget is split
# over the ISAs, so every op still gets EXAMPLES cases in total.
FUZZ_PER_ISA = settings(FUZZ, max_examples=max(1, -(-EXAMPLES // 3)))

# Forms an array argument can take. GOOD forms are converted to float32 by the op; BAD forms
# must raise TypeError naming the op.
GOOD_FORMS = ("c32", "c32", "c32", "f64", "fortran", "strided", "negstride", "readonly",
              "list", "tensor", "int32", "uint8", "bool", "f16")
BAD_FORMS = ("complex", "object", "str")


def forms(bad_rate: int = 12):
    """Strategy for one argument's form: mostly good ones, a bad one about 1 time in bad_rate."""
    if bad_rate <= 0:
        return st.sampled_from(GOOD_FORMS)
    return st.integers(0, bad_rate - 1).flatmap(
        lambda i: st.sampled_from(BAD_FORMS) if i == 0 else st.sampled_from(GOOD_FORMS))


class Args:
    """Builds array arguments for one drawn call and remembers whether any is a BAD form."""

    def __init__(self, data, seed: int, special: bool = False, bad_rate: int = 12):
        self.data = data
        self.rng = np.random.default_rng(seed)
        self.special = special
        self.bad_rate = bad_rate
        self.bad = False
        self.forms = []

    def array(self, shape, low=-3.0, high=3.0, special=None, form=None):
        """-> (object for the op, float64 values it represents or None if BAD)."""
        if form is None:
            form = self.data.draw(forms(self.bad_rate), label="form")
        self.forms.append(form)
        v = values(self.rng, shape, self.special if special is None else special, low, high)
        obj, seen = present(v, form)
        if seen is None:
            self.bad = True
        return obj, seen


def values(rng: np.random.Generator, shape, special: bool = False, low=-3.0, high=3.0):
    """float32 values in [low, high); with ``special`` a few become NaN / +Inf / -Inf."""
    v = rng.uniform(low, high, size=shape).astype(np.float32)
    if special and v.size:
        k = int(rng.integers(1, min(v.size, 3) + 1))
        idx = rng.choice(v.size, size=k, replace=False)
        v.reshape(-1)[idx] = rng.choice(np.array([np.nan, np.inf, -np.inf], np.float32), size=k)
    return v


def present(v: np.ndarray, form: str):
    """-> (object passed to the op, float64 values the op sees, or None for a BAD form)."""
    v = np.asarray(v, np.float32)
    if form == "c32" or form == "list":
        return np.array(v, order="C"), v.astype(np.float64)
    if form == "f64":
        return v.astype(np.float64), v.astype(np.float64)
    if form == "fortran":
        return np.array(v, order="F"), v.astype(np.float64)
    if form == "strided":
        if v.ndim == 0:
            return v.copy(), v.astype(np.float64)
        big = np.zeros(tuple(2 * d + 1 for d in v.shape), np.float32)
        view = big[tuple(slice(1, None, 2) for _ in v.shape)]
        view[...] = v
        return view, v.astype(np.float64)
    if form == "negstride":
        if v.ndim == 0:
            return v.copy(), v.astype(np.float64)
        flipped = np.ascontiguousarray(v[::-1, ...])
        return flipped[::-1, ...], v.astype(np.float64)
    if form == "readonly":
        r = v.copy()
        r.flags.writeable = False
        return r, v.astype(np.float64)
    if form == "list" and v.size:  # an empty nested list cannot carry a shape like (0, 3)
        return v.tolist(), v.astype(np.float64)
    if form == "tensor":
        return fastconv.constant(v), v.astype(np.float64)
    if form == "int32":
        i = np.nan_to_num(np.round(v), nan=0.0, posinf=7.0, neginf=-7.0).astype(np.int32)
        return i, i.astype(np.float64)
    if form == "uint8":
        u = np.clip(np.nan_to_num(np.round(v) + 3, nan=0.0), 0, 255).astype(np.uint8)
        return u, u.astype(np.float64)
    if form == "bool":
        b = v > 0
        return b, b.astype(np.float64)
    if form == "f16":
        h = v.astype(np.float16)
        return h, h.astype(np.float32).astype(np.float64)
    if form == "complex":
        return v.astype(np.complex64), None
    if form == "object":
        return v.astype(object), None
    if form == "str":
        return v.astype(str), None
    raise AssertionError(form)


def as_array(out) -> np.ndarray:
    return np.asarray(out.numpy() if isinstance(out, fastconv.Tensor) else out)


def assert_matches(actual, expected, bound, what: str) -> None:
    """Same shape; NaN exactly where expected is NaN; the same infinities; finite elements
    within ``bound`` (an array broadcastable to the shape, or a scalar)."""
    actual = np.asarray(actual, np.float64)
    expected = np.asarray(expected, np.float64)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    if actual.size == 0:
        return
    en, an = np.isnan(expected), np.isnan(actual)
    assert np.array_equal(en, an), (
        f"{what}: NaN pattern differs: {int(an.sum())} NaN in result, {int(en.sum())} expected; "
        f"first difference at {np.argwhere(en != an)[0].tolist()}")
    ei, ai = np.isinf(expected), np.isinf(actual)
    assert np.array_equal(ei, ai) and np.array_equal(actual[ei], expected[ei]), (
        f"{what}: infinities differ")
    fin = ~(en | ei)
    bound = np.broadcast_to(np.asarray(bound, np.float64), expected.shape)
    err = np.abs(actual - expected)
    bad = fin & ~(err <= bound)
    if bad.any():
        idx = tuple(np.argwhere(bad)[0])
        raise AssertionError(f"{what}: {int(bad.sum())} elements out of tolerance; at {idx}: got "
                             f"{actual[idx]!r}, expected {expected[idx]!r}, bound {bound[idx]!r}")


def check_call(op: str, call, expect, *, valid: bool, must_reject: bool = False,
               rejection=(ValueError, TypeError)):
    """Run ``call()``. It must raise ValueError/TypeError naming ``op`` or return a result that
    ``expect(result)`` accepts (expect runs the reference and compares).

    valid: True if the call was built to be legal (it must succeed), False if it must raise,
    None if both outcomes are acceptable (a degenerate but arguably legal case).
    must_reject: the call carries an unsupported dtype (or similar), so it must raise.
    Returns the result, or None when the op raised.
    """
    try:
        # NaN/Inf inputs make NumPy's floating-point warnings (RuntimeWarning) legitimate;
        # the suite turns warnings into errors, so they are silenced for the call only.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            out = call()
    except rejection as e:
        msg = str(e)
        assert op in msg, f"{op}: error message does not name the op: {type(e).__name__}: {msg}"
        assert valid is not True, f"{op}: a valid call was rejected: {type(e).__name__}: {msg}"
        return None
    assert not must_reject and valid is not False, (
        f"{op}: an invalid call was accepted (returned {type(out).__name__})")
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        expect(out)
    return out


def reference_or_error(fn, *args, **kwargs):
    """The reference's result, or the exception it raised (ValueError/TypeError)."""
    try:
        return fn(*args, **kwargs)
    except (ValueError, TypeError, IndexError, ZeroDivisionError) as e:
        return e


def huge_zero_stride(shape):
    """A float32 array of ``shape`` that uses one element of memory (all strides 0)."""
    return np.lib.stride_tricks.as_strided(np.zeros(1, np.float32), shape=shape,
                                           strides=(0,) * len(shape))
