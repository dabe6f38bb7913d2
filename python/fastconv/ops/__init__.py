"""fastconv.ops: one function per op. Validates arguments, converts inputs visibly, calls the
native kernel. The only package code that imports fastconv._core.

The user-facing ops (fastconv.ops.dense, conv2d, relu, ...) take Tensors/Variables/arrays, return
Tensors and record their backward on the active GradientTapes (see ops/functional.py). The
kernel-level NumPy-in/NumPy-out entry points (gemm, conv2d_fwd, ...) keep the reference's names;
their Keras-style NumPy versions stay reachable in their modules (fastconv.ops.conv.conv2d).
Pooling, dropout, normalisation and optimizer steps (NumPy in, NumPy out) come from
ops/pool.py and ops/nn.py, whose kernel-level entry points (maxpool2d_fwd, relu_fwd,
softmax_xent_fwd, batch_norm_bwd, ...) keep the reference's names.
"""

from fastconv.ops.conv import conv2d_bwd_data, conv2d_bwd_filter, conv2d_fwd
from fastconv.ops.gemm import fma_peak_probe, gemm
from fastconv.ops.functional import (add, concat, conv2d, dense, flatten, matmul, multiply,
                                     reduce_mean, reduce_sum, relu, reshape, sigmoid, softmax,
                                     softmax_cross_entropy, tanh, transpose, zero_pad2d)
from fastconv.ops.nn import adam_update_, batch_norm, dropout, lrn, sgd_update_
from fastconv.ops.pool import avg_pool2d, global_avg_pool2d, global_max_pool2d, max_pool2d

__all__ = ["fma_peak_probe", "gemm", "conv2d_fwd", "conv2d_bwd_data", "conv2d_bwd_filter",
           "add", "concat", "conv2d", "dense", "flatten", "matmul", "multiply", "reduce_mean",
           "reduce_sum", "relu", "reshape", "sigmoid", "softmax", "softmax_cross_entropy",
           "tanh", "transpose", "zero_pad2d",
           "max_pool2d", "avg_pool2d", "global_avg_pool2d", "global_max_pool2d",
           "dropout", "batch_norm", "lrn", "sgd_update_", "adam_update_"]
