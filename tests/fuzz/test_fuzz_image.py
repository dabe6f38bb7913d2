"""Fuzzing the batched augmentation ops (fastconv.image.rotate / shift / random_rotate_shift) at
the Python boundary: image forms and ranks, empty sizes, per-image argument shapes, NaN/Inf and
non-numeric angles, shifts and fills. Values are checked where they are exact (rotation by 0,
whole-pixel shifts: a copy of the input with `fill` moved in); other valid calls must give a
finite result of the input's shape (the geometry itself is cross-checked against scipy in
tests/image)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastconv import image
from fuzz_support import FUZZ, Args, assert_matches, check_call

PER_IMAGE = ("scalar", "scalar", "per_image", "wrong_len", "nan", "inf", "str", "complex")


def _per_image(kind, n, rng, scale, integral=False):
    v = rng.uniform(-scale, scale, n)
    if integral:
        v = np.round(v)
    return {"scalar": float(v[0]) if n else 1.0, "per_image": v, "wrong_len": np.zeros(n + 1),
            "nan": np.full(n, np.nan), "inf": np.inf, "str": "3", "complex": 1j}[kind]


def _shift_expected(x, dy, dx, fill):
    """Whole-pixel shift of (N,H,W[,C]) images: out[r, q] = x[r - dy, q - dx] or fill."""
    out = np.empty_like(x)
    n, h, w = x.shape[:3]
    for i in range(n):
        a, b = int(dy[i]), int(dx[i])
        out[i] = fill
        rs, re_ = max(a, 0), min(h + a, h)
        cs, ce = max(b, 0), min(w + b, w)
        if rs < re_ and cs < ce:
            out[i, rs:re_, cs:ce] = x[i, rs - a:re_ - a, cs - b:ce - b]
    return out


@pytest.mark.parametrize("op", ["rotate0", "rotate", "shift", "random"])
@FUZZ
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), n=st.integers(0, 3),
       h=st.integers(0, 9), w=st.integers(0, 9), c=st.sampled_from((None, 1, 3, 0)),
       arg_kind=st.sampled_from(PER_IMAGE),
       fill=st.sampled_from((0.0, 0.5, "median", "mean", np.nan, "per_image", "per_channel",
                             "wrong", 1j)))
def test_fuzz_image_ops(op, data, seed, n, h, w, c, arg_kind, fill):
    args = Args(data, seed, special=False, bad_rate=15)
    shape = (n, h, w) if c is None else (n, h, w, c)
    mutated = data.draw(st.integers(0, 9), label="rank mutation") == 0
    if mutated:  # drop N: (H, W[, C]) is read as a batch of H images of W rows...
        shape = shape[1:]
    x, x64 = args.array(shape, low=0.0, high=255.0)
    rng = np.random.default_rng(seed)
    cc = 1 if c is None else c
    fill_arg = {"per_image": rng.uniform(0, 9, n), "per_channel": rng.uniform(0, 9, (n, cc)),
                "wrong": np.zeros(n + 2)}.get(fill, fill) if isinstance(fill, str) else fill
    shape_ok = len(shape) in (3, 4) and min(shape[1:]) >= 1
    fill_ok = not (isinstance(fill, str) and fill in ("mean", "wrong")) and not isinstance(
        fill, complex)
    arg_ok = arg_kind in ("scalar", "per_image") or (arg_kind == "nan" and n == 0)
    integral = op == "shift"
    a1 = _per_image(arg_kind, n, rng, 30.0)
    a2 = _per_image(arg_kind if op == "shift" else "scalar", n, rng, 3.0, integral)
    a3 = _per_image("per_image" if arg_ok else arg_kind, n, rng, 3.0, integral)
    if op == "rotate0":
        a1 = 0.0 if arg_ok else a1
        call = lambda: image.rotate(x, a1, fill=fill_arg)  # noqa: E731
        name, valid = "rotate", shape_ok and fill_ok and arg_ok
    elif op == "rotate":
        call = lambda: image.rotate(x, a1, fill=fill_arg)  # noqa: E731
        name, valid = "rotate", shape_ok and fill_ok and arg_ok
    elif op == "shift":
        call = lambda: image.shift(x, a2, a3, fill=fill_arg)  # noqa: E731
        name, valid = "shift", shape_ok and fill_ok and arg_ok
    else:
        deg = data.draw(st.sampled_from((15, 0, -5, np.nan, "x")), label="max_degrees")
        call = lambda: image.random_rotate_shift(x, deg, 2, fill=fill_arg, seed=seed)  # noqa
        name = "random_rotate_shift"
        if not (shape_ok and fill_ok) or isinstance(deg, str):
            valid = False
        else:  # a negative or NaN bound may be refused or taken as given: no opinion
            valid = True if deg >= 0 else None
    if mutated and shape_ok:
        valid = None  # ...so the per-image arguments may or may not match
    if valid is False and n == 0 and shape_ok and fill_ok:
        valid = None  # no images: a bad per-image value may go unnoticed, harmlessly
    if args.bad:
        valid = False

    def expect(out):
        out = np.asarray(out)
        assert out.shape == tuple(shape) and out.dtype == np.float32
        if x64.size == 0 or mutated:
            return
        x32 = x64.astype(np.float32)
        if op == "rotate0" and not (isinstance(fill, float) and np.isnan(fill)):
            assert_matches(out, x32, 1e-4, "rotate by 0")
        elif op == "shift" and isinstance(fill, float):
            dy = np.broadcast_to(a2, (n,))
            dx = np.broadcast_to(a3, (n,))
            exp = _shift_expected(x32, dy, dx, np.float32(fill))
            assert_matches(out, exp, 1e-4, "whole-pixel shift")
        elif not (isinstance(fill, float) and np.isnan(fill)):
            assert np.isfinite(out).all(), f"{name}: non-finite output from finite input"

    check_call(name, call, expect, valid=valid, must_reject=args.bad)
