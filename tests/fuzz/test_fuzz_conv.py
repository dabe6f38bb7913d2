"""Fuzzing the convolution ops at the Python boundary: ops.conv2d (tape-aware), the NumPy-level
fastconv.ops.conv.conv2d, and the kernel entry points conv2d_fwd / conv2d_bwd_data /
conv2d_bwd_filter. See fuzz_support for the contract checked."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from assertions import gemm_error_bound
from fastconv import ops, reference
from fastconv._geometry import resolve_padding
from fastconv.ops import conv as conv_mod
from fuzz_support import FUZZ_PER_ISA, Args, as_array, assert_matches, check_call

small = st.integers(0, 7)
# (value, is it a legal strides/dilation argument)
PAIRS = [(1, True), (2, True), (3, True), ((1, 2), True), ((2, 1), True), (np.int64(2), True),
         (0, False), (-1, False), ((1, 0), False), ((2,), False), ((1, 2, 3), False),
         (True, False), ("1", False), (1.0, False), (None, False), (2**40, False)]
PADDINGS = [("valid", True), ("same", True), ("SAME", True), ("Valid", True), (1, True),
            ((1, 2), True), (((0, 1), (2, 0)), True), ((0, (1, 1)), True), (-1, False),
            ("full", False), (((1,), (2,)), False), (None, False), (True, False),
            (((1, 2, 3), (0, 0)), False), (2**40, False), (((2**62, 2**62), (0, 0)), False)]
EXPLICIT_PADS = [(((0, 0), (0, 0)), True), (((1, 0), (0, 2)), True), (((2, 2), (1, 1)), True),
                 (1, True), ((1, 0), True), ((((-1, 0), (0, 0))), False), ("same", False),
                 (((0, 0),), False), (((2**62, 2**62), (0, 0)), False)]


def _pair(v):
    return (int(v), int(v)) if np.ndim(v) == 0 else (int(v[0]), int(v[1]))


def _geometry_ok(h, w, kh, kw, s, pads, d):
    (pt, pb), (pl, pr) = pads
    return (h >= 1 and w >= 1 and (kh - 1) * d[0] + 1 <= h + pt + pb
            and (kw - 1) * d[1] + 1 <= w + pl + pr)


def _conv_bound(x64, w64, pads, s, d, b64=None):
    k = w64.shape[0] * w64.shape[1] * w64.shape[2]
    absy = reference.conv2d_fwd(np.abs(x64), np.abs(w64), None, s, pads, d)
    return gemm_error_bound(absy, k, 0.0 if b64 is None else np.abs(b64))


def _relu(y):
    return np.where(np.isnan(y), y, np.maximum(y, 0.0))


@FUZZ_PER_ISA
@given(data=st.data(), n=st.integers(0, 3), h=small, w=small, c=st.integers(0, 4),
       kh=st.integers(0, 5), kw=st.integers(0, 5), f=st.integers(0, 4),
       seed=st.integers(0, 2**32 - 1), special=st.booleans(), functional=st.booleans(),
       strides=st.sampled_from(PAIRS), dilation=st.sampled_from(PAIRS),
       padding=st.sampled_from(PADDINGS),
       activation=st.sampled_from((None, None, "relu", "linear", "Relu", "gelu", 1)),
       bias=st.sampled_from(("none", "ok", "ok", "wrong")),
       x_rank=st.sampled_from((4, 4, 4, 4, 4, 3, 5)))
def test_fuzz_conv2d(isa, data, n, h, w, c, kh, kw, f, seed, special, functional, strides, dilation,
                     padding, activation, bias, x_rank):
    args = Args(data, seed, special)
    cw = c if data.draw(st.integers(0, 7)) else data.draw(st.integers(0, 4))
    x_shape = {4: (n, h, w, c), 3: (h, w, c), 5: (n, h, w, c, 1)}[x_rank]
    x, x64 = args.array(x_shape)
    k, k64 = args.array((kh, kw, cw, f))
    b = b64 = None
    if bias != "none":
        b, b64 = args.array((f,) if bias == "ok" else (f + 1,))
    (s, s_ok), (d, d_ok), (p, p_ok) = strides, dilation, padding
    act_ok = activation is None or (isinstance(activation, str)
                                    and activation.lower() in ("relu", "linear"))
    valid = (x_rank == 4 and cw == c and min(kh, kw, c, f) >= 1 and s_ok and d_ok and p_ok
             and act_ok and bias in ("none", "ok") and not args.bad)
    pads = None
    if valid:
        pads = resolve_padding(p, (max(h, 1), max(w, 1)), (kh, kw), _pair(s), _pair(d))
        if not _geometry_ok(h, w, kh, kw, _pair(s), pads, _pair(d)):
            valid = False
    fn = ops.conv2d if functional else conv_mod.conv2d

    def expect(out):
        sp, dp = _pair(s), _pair(d)
        y = reference.conv2d_fwd(x64, k64, b64, sp, pads, dp)
        if activation is not None and activation.lower() == "relu":
            y = _relu(y)
        assert_matches(as_array(out), y, _conv_bound(x64, k64, pads, sp, dp, b64), "conv2d")

    check_call("conv2d", lambda: fn(x, k, b, strides=s, padding=p, dilation_rate=d,
                                    activation=activation),
               expect, valid=valid, must_reject=args.bad)


def _draw_conv_case(data, seed, special):
    args = Args(data, seed, special)
    n = data.draw(st.integers(0, 3), label="n")
    h, w = data.draw(small, label="h"), data.draw(small, label="w")
    c, f = data.draw(st.integers(0, 4), label="c"), data.draw(st.integers(0, 4), label="f")
    kh, kw = data.draw(st.integers(0, 5), label="kh"), data.draw(st.integers(0, 5), label="kw")
    s, s_ok = data.draw(st.sampled_from(PAIRS), label="strides")
    d, d_ok = data.draw(st.sampled_from(PAIRS), label="dilation")
    p, p_ok = data.draw(st.sampled_from(EXPLICIT_PADS), label="pads")
    ok = min(h, w, c, f, kh, kw) >= 1 and s_ok and d_ok and p_ok
    pads = oh = ow = None
    if ok:
        sp, dp = _pair(s), _pair(d)
        pads = resolve_padding(p, (1, 1), (1, 1))
        if _geometry_ok(h, w, kh, kw, sp, pads, dp):
            (pt, pb), (pl, pr) = pads
            oh = (h + pt + pb - (kh - 1) * dp[0] - 1) // sp[0] + 1
            ow = (w + pl + pr - (kw - 1) * dp[1] - 1) // sp[1] + 1
        else:
            ok = False
    return args, dict(n=n, h=h, w=w, c=c, f=f, kh=kh, kw=kw, s=s, d=d, p=p, pads=pads, oh=oh,
                      ow=ow, ok=ok)


def _maybe_wrong(data, shape, label, axes=None):
    """The right shape most of the time; otherwise one dimension (of ``axes``) off by one or a
    wrong rank."""
    choice = data.draw(st.integers(0, 9), label=label)
    if choice == 0 and len(shape):
        i = data.draw(st.sampled_from(axes or range(len(shape))), label=label + " axis")
        return shape[:i] + (shape[i] + 1,) + shape[i + 1:], False
    if choice == 1:
        return shape[:-1], False
    return shape, True


@FUZZ_PER_ISA
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), special=st.booleans(),
       relu=st.sampled_from((False, True, 1, None)), bias=st.sampled_from(("none", "ok", "wrong")))
def test_fuzz_conv2d_fwd(isa, data, seed, special, relu, bias):
    args, g = _draw_conv_case(data, seed, special)
    x_shape, ok_x = _maybe_wrong(data, (g["n"], g["h"], g["w"], g["c"]), "x shape", axes=[3])
    x, x64 = args.array(x_shape)
    k, k64 = args.array((g["kh"], g["kw"], g["c"], g["f"]))
    b = b64 = None
    if bias != "none":
        b, b64 = args.array((g["f"],) if bias == "ok" else (g["f"] + 1,))
    valid = (g["ok"] and ok_x and bias != "wrong" and isinstance(relu, bool) and not args.bad)

    def expect(out):
        sp, dp = _pair(g["s"]), _pair(g["d"])
        y = reference.conv2d_fwd(x64, k64, b64, sp, g["pads"], dp)
        if relu:
            y = _relu(y)
        assert_matches(as_array(out), y, _conv_bound(x64, k64, g["pads"], sp, dp, b64),
                       "conv2d_fwd")

    check_call("conv2d_fwd", lambda: ops.conv2d_fwd(x, k, b, g["s"], g["p"], g["d"], relu),
               expect, valid=valid, must_reject=args.bad)


@FUZZ_PER_ISA
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), special=st.booleans())
def test_fuzz_conv2d_bwd_data(isa, data, seed, special):
    args, g = _draw_conv_case(data, seed, special)
    x_shape = (g["n"], g["h"], g["w"], g["c"])
    dy_shape = (g["n"], g["oh"] or 1, g["ow"] or 1, g["f"])
    dy_shape, ok_dy = _maybe_wrong(data, dy_shape, "dy shape")
    dy, dy64 = args.array(dy_shape)
    k, k64 = args.array((g["kh"], g["kw"], g["c"], g["f"]))
    xs = data.draw(st.sampled_from((x_shape, x_shape, x_shape, list(x_shape), x_shape[:3],
                                    (g["n"], g["h"], g["w"], 1.5), (-1,) + x_shape[1:])),
                   label="x_shape")
    valid = g["ok"] and ok_dy and not args.bad and tuple(xs) == x_shape

    def expect(out):
        sp, dp = _pair(g["s"]), _pair(g["d"])
        dx = reference.conv2d_bwd_data(dy64, k64, x_shape, sp, g["pads"], dp)
        k_len = g["kh"] * g["kw"] * g["f"]
        absdx = reference.conv2d_bwd_data(np.abs(dy64), np.abs(k64), x_shape, sp, g["pads"], dp)
        assert_matches(as_array(out), dx, gemm_error_bound(absdx, k_len), "conv2d_bwd_data")

    check_call("conv2d_bwd_data",
               lambda: ops.conv2d_bwd_data(dy, k, xs, g["s"], g["p"], g["d"]),
               expect, valid=valid, must_reject=args.bad)


@FUZZ_PER_ISA
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), special=st.booleans())
def test_fuzz_conv2d_bwd_filter(isa, data, seed, special):
    args, g = _draw_conv_case(data, seed, special)
    x, x64 = args.array((g["n"], g["h"], g["w"], g["c"]))
    dy_shape = (g["n"], g["oh"] or 1, g["ow"] or 1, g["f"])
    dy_shape, ok_dy = _maybe_wrong(data, dy_shape, "dy shape")
    dy, dy64 = args.array(dy_shape)
    w_shape = (g["kh"], g["kw"], g["c"], g["f"])
    ws = data.draw(st.sampled_from((w_shape, w_shape, w_shape, list(w_shape), w_shape[:3],
                                    (g["kh"], g["kw"], g["c"], "2"), (0,) + w_shape[1:])),
                   label="w_shape")
    valid = g["ok"] and ok_dy and not args.bad and tuple(ws) == w_shape

    def expect(out):
        sp, dp = _pair(g["s"]), _pair(g["d"])
        dw, db = reference.conv2d_bwd_filter(x64, dy64, w_shape, sp, g["pads"], dp)
        absdw, absdb = reference.conv2d_bwd_filter(np.abs(x64), np.abs(dy64), w_shape, sp,
                                                   g["pads"], dp)
        k_len = g["n"] * g["oh"] * g["ow"]
        assert isinstance(out, tuple) and len(out) == 2
        assert_matches(out[0], dw, gemm_error_bound(absdw, k_len), "conv2d_bwd_filter dw")
        assert_matches(out[1], db, gemm_error_bound(absdb, k_len), "conv2d_bwd_filter db")

    check_call("conv2d_bwd_filter",
               lambda: ops.conv2d_bwd_filter(x, dy, ws, g["s"], g["p"], g["d"]),
               expect, valid=valid, must_reject=args.bad)
