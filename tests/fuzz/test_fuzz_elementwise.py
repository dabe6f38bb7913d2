"""Fuzzing the activation, loss, merge, shape and reduction ops at the Python boundary
(fastconv.ops.relu ... reduce_mean). See fuzz_support for the contract checked."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastconv import ops, reference
from fuzz_support import FUZZ, Args, as_array, assert_matches, check_call

shapes = st.lists(st.integers(0, 5), min_size=0, max_size=4).map(tuple)
seeds = st.integers(0, 2**32 - 1)

UNARY = {
    "relu": (ops.relu, reference.relu_fwd, 0.0),
    "sigmoid": (ops.sigmoid, reference.sigmoid_fwd, 1e-6),
    "tanh": (ops.tanh, reference.tanh_fwd, 1e-6),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@FUZZ
@given(data=st.data(), shape=shapes, seed=seeds, special=st.booleans())
def test_fuzz_unary(name, data, shape, seed, special):
    fn, ref, atol = UNARY[name]
    args = Args(data, seed, special)
    x, x64 = args.array(shape)

    def expect(out):
        exp = ref(np.asarray(x64, np.float32))  # the op works on float32 values
        assert_matches(as_array(out), exp, atol + 4 * 2.0**-24 * np.abs(exp), name)

    check_call(name, lambda: fn(x), expect, valid=not args.bad, must_reject=args.bad)


def _softmax(z, axis):
    z = np.moveaxis(z, axis, -1)
    return np.moveaxis(reference.softmax_fwd(z), -1, axis)


@FUZZ
@given(data=st.data(), shape=shapes, seed=seeds, special=st.booleans(),
       axis=st.sampled_from((-1, -1, 0, 1, -2, 3, 7, "x", None, 1.5)))
def test_fuzz_softmax(data, shape, seed, special, axis):
    args = Args(data, seed, special)
    x, x64 = args.array(shape)
    ndim = len(shape)
    axis_ok = isinstance(axis, int) and -ndim <= axis < ndim
    valid = axis_ok and not args.bad

    def expect(out):
        z = np.asarray(x64, np.float32).astype(np.float64)
        if z.size == 0:
            assert as_array(out).shape == z.shape
            return
        assert_matches(as_array(out), _softmax(z, axis), 1e-6, "softmax")

    check_call("softmax", lambda: ops.softmax(x, axis), expect, valid=valid,
               must_reject=args.bad)


@FUZZ
@given(data=st.data(), n=st.integers(0, 6), k=st.integers(0, 6), seed=seeds,
       special=st.booleans(),
       kind=st.sampled_from(("ids", "ids", "onehot", "probs", "ids_float", "ids_oob",
                             "ids_wrong_n", "onehot_wrong", "scalar", "ids_bool")),
       logits_rank=st.sampled_from((2, 2, 2, 2, 1, 3)))
def test_fuzz_softmax_cross_entropy(data, n, k, seed, special, kind, logits_rank):
    args = Args(data, seed, special)
    z_shape = {2: (n, k), 1: (n,), 3: (n, k, 1)}[logits_rank]
    z, z64 = args.array(z_shape)
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, max(k, 1), size=n)
    labels = {
        "ids": ids,
        "ids_float": ids.astype(np.float32),
        "ids_bool": ids.astype(bool),
        "ids_oob": ids + k,
        "ids_wrong_n": np.zeros(n + 1, np.int64),
        "onehot": np.eye(max(k, 1), dtype=np.float32)[ids][:, :k],
        "probs": rng.dirichlet(np.ones(max(k, 1)), size=n)[:, :k],
        "onehot_wrong": np.zeros((n, k + 1), np.float32),
        "scalar": 3,
    }[kind]
    ok_labels = kind in ("ids", "onehot", "probs") or (kind == "ids_oob" and n == 0)
    valid = logits_rank == 2 and k >= 1 and ok_labels and not args.bad
    if logits_rank == 2 and n == 0 and not args.bad:
        valid = None  # an empty batch: 0 (fastconv's choice), NaN or an error are all honest

    def expect(out):
        if n == 0:
            assert as_array(out).shape == ()
            return
        loss, _ = reference.softmax_xent_fwd(np.asarray(z64, np.float32), labels)
        assert_matches(as_array(out), loss, 1e-5 * (1 + abs(loss)) if np.isfinite(loss) else 0,
                       "softmax_cross_entropy")

    check_call("softmax_cross_entropy", lambda: ops.softmax_cross_entropy(labels, z), expect,
               valid=valid, must_reject=args.bad)


@pytest.mark.parametrize("name", ["add", "multiply"])
@FUZZ
@given(data=st.data(), shape=shapes, seed=seeds, special=st.booleans(),
       count=st.integers(0, 4), mutation=st.sampled_from(("none",) * 6 + ("shape", "bare")))
def test_fuzz_add_multiply(name, data, shape, seed, special, count, mutation):
    args = Args(data, seed, special)
    pairs = [args.array(shape) for _ in range(count)]
    xs = [p[0] for p in pairs]
    if mutation == "shape" and count >= 2:
        extra, _ = args.array(shape + (2,))
        xs[1] = extra
    call_arg = xs[0] if (mutation == "bare" and count) else xs
    applied = (mutation == "shape" and count >= 2) or (mutation == "bare" and count >= 1)
    valid = count >= 1 and not applied and not args.bad
    fn = getattr(ops, name)
    ref = getattr(reference, f"{name}_fwd")

    def expect(out):
        exp = ref([np.asarray(p[1], np.float32) for p in pairs])
        absum = sum(np.abs(np.asarray(p[1], np.float32).astype(np.float64)) for p in pairs)
        bound = 2.0**-23 * count * absum if name == "add" else 4e-7 * count * np.abs(exp)
        assert_matches(as_array(out), exp, bound, name)

    # a bare nested list is itself a list of inputs (its rows): no opinion on the outcome
    bare_list = bool(mutation == "bare" and count and isinstance(call_arg, list))
    check_call(name, lambda: fn(call_arg), expect,
               valid=None if bare_list else valid,
               must_reject=args.bad and not bare_list)


@FUZZ
@given(data=st.data(), shape=st.lists(st.integers(0, 4), min_size=1, max_size=4).map(tuple),
       seed=st.integers(0, 2**32 - 1), count=st.integers(0, 3),
       axis=st.integers(-5, 4), mismatch=st.booleans())
def test_fuzz_concat(data, shape, seed, count, axis, mismatch):
    args = Args(data, seed)
    ndim = len(shape)
    axis_ok = -ndim <= axis < ndim
    pairs = []
    for i in range(count):
        s = list(shape)
        if axis_ok:
            s[axis] = data.draw(st.integers(0, 3), label="size along axis")
        if mismatch and i == 1:
            s.append(1)
        pairs.append(args.array(tuple(s)))
    valid = count >= 1 and axis_ok and not (mismatch and count >= 2) and not args.bad

    def expect(out):
        exp = reference.concat_fwd([p[1] for p in pairs], axis)
        assert_matches(as_array(out), exp, 0.0, "concat")

    check_call("concat", lambda: ops.concat([p[0] for p in pairs], axis), expect, valid=valid,
               must_reject=args.bad)


@FUZZ
@given(data=st.data(), shape=shapes, seed=seeds,
       target=st.sampled_from(("same", "flat", "minus1", "wrong", "two_minus1", "str",
                               "negative", "float")))
def test_fuzz_reshape(data, shape, seed, target):
    args = Args(data, seed)
    x, x64 = args.array(shape)
    size = int(np.prod(shape, dtype=np.int64))
    new = {"same": shape, "flat": (size,), "minus1": (-1,), "wrong": (size + 1,),
           "two_minus1": (-1, -1), "str": "abc", "negative": (-2, -size),
           "float": (float(size),)}[target]
    valid = target in ("same", "flat", "minus1") and not args.bad
    if target == "two_minus1" or target == "negative":
        valid = False

    def expect(out):
        assert_matches(as_array(out), x64.reshape(new), 0.0, "reshape")

    check_call("reshape", lambda: ops.reshape(x, new), expect, valid=valid,
               must_reject=args.bad)


@FUZZ
@given(data=st.data(), shape=shapes, seed=seeds)
def test_fuzz_flatten(data, shape, seed):
    args = Args(data, seed)
    x, x64 = args.array(shape)
    valid = len(shape) >= 1 and not args.bad

    def expect(out):
        exp = x64.reshape(shape[0], -1) if shape[0] else x64.reshape(
            0, int(np.prod(shape[1:], dtype=np.int64)))
        assert_matches(as_array(out), exp, 0.0, "flatten")

    check_call("flatten", lambda: ops.flatten(x), expect, valid=valid, must_reject=args.bad)


@FUZZ
@given(data=st.data(), shape=shapes, seed=seeds,
       perm=st.sampled_from(("none", "ok", "ok", "short", "dup", "oob", "str")))
def test_fuzz_transpose(data, shape, seed, perm):
    args = Args(data, seed)
    x, x64 = args.array(shape)
    ndim = len(shape)
    p = {"none": None, "ok": tuple(np.random.default_rng(seed).permutation(ndim).tolist()),
         "short": tuple(range(ndim - 1)), "dup": (0,) * ndim, "oob": tuple(range(1, ndim + 1)),
         "str": "ab"}[perm]
    valid = (p is None or (not isinstance(p, str) and sorted(p) == list(range(ndim)))) \
        and not args.bad

    def expect(out):
        assert_matches(as_array(out), np.transpose(x64, p), 0.0, "transpose")

    check_call("transpose", lambda: ops.transpose(x, p), expect, valid=valid,
               must_reject=args.bad)


@FUZZ
@given(data=st.data(), shape=st.lists(st.integers(0, 4), min_size=3, max_size=5).map(tuple),
       seed=seeds,
       padding=st.sampled_from([(0, True), (1, True), ((1, 2), True), (((0, 1), (2, 0)), True),
                                (-1, False), ("same", False), (((1,), (2,)), False),
                                (None, False), (1.5, False), ((2**62, 2**62), False)]))
def test_fuzz_zero_pad2d(data, shape, seed, padding):
    args = Args(data, seed)
    x, x64 = args.array(shape)
    pad, pad_ok = padding
    valid = len(shape) == 4 and pad_ok and not args.bad

    def expect(out):
        assert_matches(as_array(out), reference.zero_pad2d_fwd(x64, pad), 0.0, "zero_pad2d")

    check_call("zero_pad2d", lambda: ops.zero_pad2d(x, pad), expect, valid=valid,
               must_reject=args.bad)


@pytest.mark.parametrize("name", ["reduce_sum", "reduce_mean"])
@FUZZ
@given(data=st.data(), shape=shapes, seed=seeds, special=st.booleans(),
       axis=st.sampled_from((None, None, 0, -1, 1, (0, 1), (1, 0), (0, 0), 9, "a", 1.0)),
       keepdims=st.booleans())
def test_fuzz_reduce(name, data, shape, seed, special, axis, keepdims):
    args = Args(data, seed, special)
    x, x64 = args.array(shape)
    ndim = len(shape)
    if axis is None:
        axis_ok = True
    elif isinstance(axis, int):
        axis_ok = -ndim <= axis < ndim
    elif isinstance(axis, tuple):
        axis_ok = all(-ndim <= a < ndim for a in axis) and len(set(a % max(ndim, 1)
                                                                    for a in axis)) == len(axis)
    else:
        axis_ok = False
    valid = axis_ok and not args.bad
    ref = getattr(reference, f"{name}_fwd")

    def expect(out):
        exp = np.asarray(ref(x64, axis, keepdims))
        count = x64.size if axis is None else int(np.prod(
            [shape[a] for a in ((axis,) if isinstance(axis, int) else axis)], dtype=np.int64))
        absum = np.asarray(reference.reduce_sum_fwd(np.abs(x64), axis, keepdims))
        if name == "reduce_mean":
            absum = absum / max(count, 1)
        assert_matches(as_array(out), exp, 1e-6 + 2.0**-23 * absum, name)

    check_call(name, lambda: getattr(ops, name)(x, axis, keepdims), expect, valid=valid,
               must_reject=args.bad)
