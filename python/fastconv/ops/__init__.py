"""fastconv.ops: one function per op. Validates arguments, converts inputs visibly, calls the
native kernel. The only package code that imports fastconv._core.

The user-facing ops (fastconv.ops.dense, conv2d, relu, max_pool2d, batch_norm, ...) take
Tensors/Variables/arrays, return Tensors and record their backward on the active GradientTapes
(see ops/functional.py). The kernel-level NumPy-in/NumPy-out entry points (gemm, conv2d_fwd,
maxpool2d_fwd, relu_fwd, softmax_xent_fwd, batch_norm_bwd, ...) keep the reference's names in
ops/gemm.py, ops/conv.py, ops/pool.py and ops/nn.py, where their Keras-style NumPy versions stay
reachable too (fastconv.ops.conv.conv2d, fastconv.ops.pool.max_pool2d, ...).
"""

from fastconv.ops.conv import conv2d_bwd_data, conv2d_bwd_filter, conv2d_fwd
from fastconv.ops.gemm import fma_peak_probe, gemm
from fastconv.ops.nn import adam_update_, sgd_update_
from fastconv.ops.functional import (add, avg_pool2d, batch_norm, concat, conv2d, dense, dropout,
                                     flatten, global_avg_pool2d, global_max_pool2d, lrn,
                                     matmul, max_pool2d, multiply, reduce_mean, reduce_sum, relu,
                                     reshape, sigmoid, softmax, softmax_cross_entropy, tanh,
                                     transpose, zero_pad2d)

__all__ = ["fma_peak_probe", "gemm", "conv2d_fwd", "conv2d_bwd_data", "conv2d_bwd_filter",
           "add", "concat", "conv2d", "dense", "flatten", "matmul", "multiply", "reduce_mean",
           "reduce_sum", "relu", "reshape", "sigmoid", "softmax", "softmax_cross_entropy",
           "tanh", "transpose", "zero_pad2d",
           "max_pool2d", "avg_pool2d", "global_avg_pool2d", "global_max_pool2d",
           "dropout", "batch_norm", "lrn", "sgd_update_", "adam_update_"]
