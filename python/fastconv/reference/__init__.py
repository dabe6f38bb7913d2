"""float64 NumPy oracle for every fastconv op.

The native kernels are tested against these functions; their names and
argument orders are the contract for the native entry points. Layout is
channels-last: activations (N,H,W,C), conv kernels (KH,KW,C,F), dense
kernels (in,out). Every function accumulates in float64 and returns float64.
"""

from .activation import (bias_add_bwd, bias_add_fwd, relu_bwd, relu_fwd,
                         sigmoid_bwd, sigmoid_fwd, softmax_bwd, softmax_fwd,
                         tanh_bwd, tanh_fwd)
from .conv import conv2d, conv2d_bwd_data, conv2d_bwd_filter, conv2d_fwd
from .dropout import dropout_bwd, dropout_fwd, dropout_mask, dropout_uniform
from .elementwise import (add_bwd, add_fwd, concat_bwd, concat_fwd,
                          multiply_bwd, multiply_fwd, reduce_mean_bwd,
                          reduce_mean_fwd, reduce_sum_bwd, reduce_sum_fwd,
                          zero_pad2d_bwd, zero_pad2d_fwd)
from .loss import softmax_xent_bwd, softmax_xent_fwd
from .norm import batch_norm_bwd, batch_norm_fwd, lrn_bwd, lrn_fwd
from .optim import adam_update, sgd_update
from .pool import (avg_pool2d, avgpool2d_bwd, avgpool2d_fwd,
                   global_avgpool2d_bwd, global_avgpool2d_fwd,
                   global_maxpool2d_bwd, global_maxpool2d_fwd, max_pool2d,
                   maxpool2d_bwd, maxpool2d_fwd)

# GEMM / dense references live in gemm.py (another author's module)
from .gemm import *  # noqa: E402,F401,F403
