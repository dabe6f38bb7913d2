"""Huge-but-cheap inputs: shapes whose element counts overflow 32-bit (and 64-bit byte) indexing,
built with zero strides (np.lib.stride_tricks.as_strided / np.broadcast_to) so the test uses no
memory, and calls whose *output* would not fit in memory. Every op must refuse them with a
ValueError naming the op before allocating anything — never a MemoryError, an OOM kill, a
wrapped size or a crash."""

from __future__ import annotations

import resource

import numpy as np
import pytest

import fastconv
from fastconv import image, ops
from fuzz_support import huge_zero_stride

G = 2**40  # far more than 32-bit indexing can count, and more bytes than any machine has
BIG4 = (G, 2, 2, 2)


def small(*shape):
    return np.ones(shape, np.float32)


CASES = {
    # name in message, call
    "gemm/a": ("gemm", lambda: ops.gemm(huge_zero_stride((G, 4)), small(4, 3))),
    "gemm/out": ("gemm", lambda: ops.gemm(small(2**20, 1), small(1, 2**20))),
    "gemm/bcast": ("gemm", lambda: ops.gemm(np.broadcast_to(np.float64(1), (G, 2)),
                                            small(2, 2))),
    "matmul/out": ("matmul", lambda: ops.matmul(small(2**20, 1), small(1, 2**20))),
    "dense/out": ("dense", lambda: ops.dense(small(2**20, 1), small(1, 2**20))),
    "dense/x": ("dense", lambda: ops.dense(huge_zero_stride((G, 3)), small(3, 3))),
    "dense/zero-k": ("dense", lambda: ops.dense(np.empty((2**40, 0), np.float32),
                                                small(0, 3))),
    "conv2d/x": ("conv2d", lambda: ops.conv2d(huge_zero_stride(BIG4), small(1, 1, 2, 1))),
    "conv2d/out-pad": ("conv2d", lambda: ops.conv2d(small(1, 1, 1, 1), small(1, 1, 1, 1),
                                                    padding=((2**30, 2**30), (2**30, 2**30)))),
    "conv2d/pad-overflow": ("conv2d", lambda: ops.conv2d(
        small(1, 1, 1, 1), small(1, 1, 1, 1), padding=((2**62, 2**62), (0, 0)))),
    "conv2d/filters": ("conv2d", lambda: ops.conv2d(small(2**16, 4, 4, 1),
                                                    small(1, 1, 1, 2**16))),
    "conv2d_fwd/x": ("conv2d_fwd", lambda: ops.conv2d_fwd(huge_zero_stride(BIG4),
                                                          small(1, 1, 2, 1))),
    "conv2d_fwd/dilation": ("conv2d_fwd", lambda: ops.conv2d_fwd(
        small(1, 4, 4, 1), small(2, 2, 1, 1), dilation=(2**62, 1))),
    "conv2d_bwd_data/dx": ("conv2d_bwd_data", lambda: ops.conv2d_bwd_data(
        small(1, 1, 1, 1), small(1, 1, 1, 1), (1, 2**40, 2**40, 1),
        pads=((0, 0), (0, 0)), strides=(2**40, 2**40))),
    "conv2d_bwd_data/dy": ("conv2d_bwd_data", lambda: ops.conv2d_bwd_data(
        huge_zero_stride((G, 1, 1, 1)), small(1, 1, 1, 1), (G, 1, 1, 1))),
    "conv2d_bwd_filter/dw": ("conv2d_bwd_filter", lambda: ops.conv2d_bwd_filter(
        small(1, 1, 1, 1), small(1, 1, 1, 2**20), (2**20, 1, 1, 2**20),
        pads=((2**20, 2**20), (0, 0)), strides=(2**22, 1))),
    "relu": ("relu", lambda: ops.relu(huge_zero_stride((G, 4)))),
    "sigmoid": ("sigmoid", lambda: ops.sigmoid(np.broadcast_to(np.float64(0), (G, 4)))),
    "tanh": ("tanh", lambda: ops.tanh(huge_zero_stride((G, 8)))),
    "softmax": ("softmax", lambda: ops.softmax(huge_zero_stride((G, 8)))),
    "softmax_cross_entropy": ("softmax_cross_entropy", lambda: ops.softmax_cross_entropy(
        np.broadcast_to(np.int64(0), (G,)), huge_zero_stride((G, 8)))),
    "add": ("add", lambda: ops.add([huge_zero_stride((G, 4)), huge_zero_stride((G, 4))])),
    "multiply": ("multiply", lambda: ops.multiply([huge_zero_stride((G, 4))])),
    "concat": ("concat", lambda: ops.concat([huge_zero_stride((G, 4)), small(1, 4)], axis=0)),
    "reshape": ("reshape", lambda: ops.reshape(huge_zero_stride((G, 4)), (-1,))),
    "flatten": ("flatten", lambda: ops.flatten(huge_zero_stride((G, 2, 2)))),
    "transpose": ("transpose", lambda: ops.transpose(huge_zero_stride((G, 4)))),
    "zero_pad2d/out": ("zero_pad2d", lambda: ops.zero_pad2d(small(1, 1, 1, 1), 2**20)),
    "zero_pad2d/x": ("zero_pad2d", lambda: ops.zero_pad2d(huge_zero_stride(BIG4), 1)),
    "reduce_sum": ("reduce_sum", lambda: ops.reduce_sum(huge_zero_stride((G, 4)))),
    "reduce_mean": ("reduce_mean", lambda: ops.reduce_mean(huge_zero_stride((G, 4)), 1)),
    "Dense layer": ("(Dense)", lambda: fastconv.keras.layers.Dense(3)(
        np.broadcast_to(np.float64(0), (G, 3)))),
    "Conv2D layer": ("conv2d", lambda: fastconv.keras.layers.Conv2D(2, 3)(
        huge_zero_stride((G, 4, 4, 1)))),
    "rotate": ("rotate", lambda: image.rotate(huge_zero_stride((G, 28, 28)), 10.0)),
    "shift": ("shift", lambda: image.shift(huge_zero_stride((G, 28, 28)), 1, 1)),
    "random_rotate_shift": ("random_rotate_shift",
                            lambda: image.random_rotate_shift(huge_zero_stride((G, 28, 28)))),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_huge_inputs_rejected_before_allocating(case):
    op, call = CASES[case]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ValueError) as info:
        call()
    msg = str(info.value)
    assert msg.startswith(op + ":") or f"{op}:" in msg or op.startswith("(") and op in msg, msg
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 64 * 1024, f"{case}: peak RSS grew by {grown_kib} KiB before the error"


def test_empty_batch_with_huge_spatial_size_is_cheap():
    """N = 0 makes any H, W legal; nothing may be allocated in proportion to H*W."""
    dy = np.empty((0, 2**20, 2**20, 1), np.float32)
    dx = ops.conv2d_bwd_data(dy, small(1, 1, 1, 1), (0, 2**20, 2**20, 1))
    assert dx.shape == (0, 2**20, 2**20, 1)
    y = fastconv.ops.conv2d(np.empty((0, 2**20, 2**20, 1), np.float32), small(3, 3, 1, 2))
    assert y.shape == (0, 2**20 - 2, 2**20 - 2, 2)
