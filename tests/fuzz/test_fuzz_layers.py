"""Fuzzing the Keras layers at the Python boundary: constructor arguments (zero/negative units,
filters, kernel and pool sizes, strides) and call inputs (every array form of fuzz_support,
wrong ranks, zero-size dimensions, windows larger than the input, NaN/Inf). A layer either
returns what fastconv.reference computes with the layer's own weights, or raises
ValueError/TypeError whose message names the layer (its class or name) or the op it runs."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from assertions import gemm_error_bound
from fastconv import keras, reference
from fastconv._geometry import resolve_padding
from fuzz_support import FUZZ, Args, as_array, assert_matches

L = keras.layers
SIZES = st.sampled_from((1, 2, 3, 5, 0, -1, (2, 1), (1, 3), True, "2", None))
PADS = st.sampled_from(("valid", "same", "SAME", "full", 1, None))


def _ok_pair(v):
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return False
    if isinstance(v, tuple):
        return all(isinstance(a, int) and a >= 1 for a in v)
    return isinstance(v, int) and v >= 1


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _pad_ok(p):
    return isinstance(p, str) and p.lower() in ("valid", "same")


def _run(names, build, call, expect, *, valid_ctor, valid_call, must_reject=False):
    """build() -> layer; call(layer) -> output. Check the outcome against the contract."""
    def named(e):
        msg = str(e)
        assert any(n in msg for n in names), f"error does not name the layer/op {names}: " \
                                             f"{type(e).__name__}: {msg}"
    try:
        layer = build()
    except (ValueError, TypeError) as e:
        named(e)
        assert not valid_ctor, f"{names[0]}: valid constructor arguments rejected: {e}"
        return
    assert valid_ctor is not False, f"{names[0]}: invalid constructor arguments accepted"
    import warnings
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            out = call(layer)
    except (ValueError, TypeError) as e:
        named(e)
        assert valid_call is not True, f"{names[0]}: valid call rejected: {e}"
        return
    assert not must_reject and valid_call is not False, f"{names[0]}: invalid call accepted"
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        expect(layer, as_array(out))


def _input(data, seed, special, rank=4, max_dim=6):
    args = Args(data, seed, special)
    shape = tuple(data.draw(st.lists(st.integers(0, max_dim), min_size=rank, max_size=rank),
                            label="shape"))
    r = data.draw(st.sampled_from((rank,) * 6 + (rank - 1, rank + 1)), label="rank")
    if r < rank:
        shape = shape[1:]
    elif r > rank:
        shape = shape + (1,)
    x, x64 = args.array(shape)
    return args, shape, x, x64, r == rank


@FUZZ
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), special=st.booleans(),
       units=st.sampled_from((1, 3, 8, 0, -2, 2.5, "4", True)),
       activation=st.sampled_from((None, "relu", "linear", "softmax", "nope")),
       use_bias=st.booleans())
def test_fuzz_dense_layer(data, seed, special, units, activation, use_bias):
    args, shape, x, x64, rank_ok = _input(data, seed, special, rank=2)
    ok_units = isinstance(units, int) and not isinstance(units, bool) and units >= 1

    def expect(layer, out):
        w = np.asarray(layer.kernel.numpy(), np.float64)
        y = x64 @ w
        if use_bias:
            y = y + np.asarray(layer.bias.numpy(), np.float64)
        bound = gemm_error_bound(np.abs(x64) @ np.abs(w), w.shape[0])
        if activation == "relu":
            y = np.where(np.isnan(y), y, np.maximum(y, 0))
        elif activation == "softmax":
            y = reference.softmax_fwd(y) if y.size else y
            bound = 1e-5
        assert_matches(out, y, bound, "Dense")

    _run(("Dense", "dense", "activation: unknown name"), lambda: L.Dense(units, activation=activation, use_bias=use_bias),
         lambda layer: layer(x), expect, valid_ctor=None if activation == "nope" else ok_units,
         valid_call=None if args.bad or not rank_ok or 0 in shape else True,
         must_reject=args.bad)


@FUZZ
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), special=st.booleans(),
       filters=st.sampled_from((1, 4, 0, -1)), kernel=SIZES, strides=SIZES, padding=PADS,
       activation=st.sampled_from((None, "relu")))
def test_fuzz_conv2d_layer(data, seed, special, filters, kernel, strides, padding, activation):
    args, shape, x, x64, rank_ok = _input(data, seed, special)
    valid_ctor = filters >= 1 and _ok_pair(kernel) and _ok_pair(strides) and _pad_ok(padding)
    valid_call = None
    if valid_ctor and rank_ok and not args.bad and min(shape) >= 1:
        kh, kw = _pair(kernel)
        pads = resolve_padding(padding, shape[1:3], (kh, kw), _pair(strides))
        fits = kh <= shape[1] + sum(pads[0]) and kw <= shape[2] + sum(pads[1])
        valid_call = True if fits else False

    def expect(layer, out):
        w = np.asarray(layer.kernel.numpy(), np.float64)
        b = np.asarray(layer.bias.numpy(), np.float64)
        pads = resolve_padding(padding, shape[1:3], w.shape[:2], _pair(strides))
        y = reference.conv2d_fwd(x64, w, b, _pair(strides), pads)
        absy = reference.conv2d_fwd(np.abs(x64), np.abs(w), np.abs(b), _pair(strides), pads)
        if activation == "relu":
            y = np.where(np.isnan(y), y, np.maximum(y, 0))
        assert_matches(out, y, gemm_error_bound(absy, w.shape[0] * w.shape[1] * w.shape[2]),
                       "Conv2D")

    _run(("Conv2D", "conv2d"),
         lambda: L.Conv2D(filters, kernel, strides=strides, padding=padding,
                          activation=activation),
         lambda layer: layer(x), expect, valid_ctor=valid_ctor, valid_call=valid_call,
         must_reject=args.bad)


@FUZZ
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), special=st.booleans(),
       kind=st.sampled_from(("max", "avg")), pool=SIZES,
       strides=st.sampled_from((None, 1, 2, (1, 2), 0, -1)), padding=PADS)
def test_fuzz_pool_layers(data, seed, special, kind, pool, strides, padding):
    args, shape, x, x64, rank_ok = _input(data, seed, special)
    cls = L.MaxPooling2D if kind == "max" else L.AveragePooling2D
    valid_ctor = _ok_pair(pool) and (strides is None or _ok_pair(strides)) and _pad_ok(padding)
    valid_call = None
    if valid_ctor and rank_ok and not args.bad and min(shape) >= 1:
        ph, pw = _pair(pool)
        s = _pair(strides) if strides is not None else (ph, pw)
        pads = resolve_padding(padding, shape[1:3], (ph, pw), s)
        valid_call = ph <= shape[1] + sum(pads[0]) and pw <= shape[2] + sum(pads[1])
    ref = reference.max_pool2d if kind == "max" else reference.avg_pool2d

    def expect(layer, out):
        y = ref(x64, pool, strides, padding)
        assert_matches(out, y, 1e-6 * (1 + np.abs(y)), cls.__name__)

    _run((cls.__name__, "pool2d", "pool"), lambda: cls(pool, strides=strides, padding=padding),
         lambda layer: layer(x), expect, valid_ctor=valid_ctor, valid_call=valid_call,
         must_reject=args.bad)


SIMPLE = {
    "GlobalAveragePooling2D": (lambda: L.GlobalAveragePooling2D(), 4,
                               lambda l, x: reference.global_avgpool2d_fwd(x)),
    "GlobalMaxPooling2D": (lambda: L.GlobalMaxPooling2D(), 4,
                           lambda l, x: reference.global_maxpool2d_fwd(x)),
    "Flatten": (lambda: L.Flatten(), 4,
                lambda l, x: x.reshape(x.shape[0], int(np.prod(x.shape[1:], dtype=np.int64)))),
    "ReLU": (lambda: L.ReLU(), 4, lambda l, x: reference.relu_fwd(x)),
    "Softmax": (lambda: L.Softmax(), 2, lambda l, x: reference.softmax_fwd(x)),
    "ZeroPadding2D": (lambda: L.ZeroPadding2D((1, 2)), 4,
                      lambda l, x: reference.zero_pad2d_fwd(x, (1, 2))),
    "Dropout": (lambda: L.Dropout(0.5), 4, lambda l, x: x),
    "BatchNormalization": (lambda: L.BatchNormalization(), 4, lambda l, x: reference.batch_norm_fwd(
        x, *[np.asarray(w.numpy(), np.float64) for w in
             (l.gamma, l.beta, l.moving_mean, l.moving_variance)], training=False)[0]),
    "LocalResponseNormalization": (lambda: L.LocalResponseNormalization(), 4,
                                   lambda l, x: reference.lrn_fwd(x)),
}


@FUZZ
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), special=st.booleans(),
       name=st.sampled_from(sorted(SIMPLE)))
def test_fuzz_simple_layers(data, seed, special, name):
    build, rank, ref = SIMPLE[name]
    args, shape, x, x64, rank_ok = _input(data, seed, special, rank=rank)

    def expect(layer, out):
        if x64.size == 0 and name in ("GlobalMaxPooling2D", "Softmax"):
            assert out.size == 0
            return
        y = ref(layer, x64)
        assert_matches(out, y, 2e-5 * (1 + np.abs(y)), name)

    empty_ok = None if 0 in shape else True  # empty spatial/channel sizes may be refused
    ops_named = ("pool2d", "zero_pad2d", "flatten", "reshape", "softmax", "relu", "batch_norm",
                 "lrn", "dropout")
    _run((name, "layer") + ops_named, build, lambda layer: layer(x), expect, valid_ctor=True,
         valid_call=None if args.bad or not rank_ok else empty_ok, must_reject=args.bad)
