"""fastconv.ops: one function per op. Validates arguments, converts inputs visibly, calls the
native kernel. The only package code that imports fastconv._core."""

from fastconv.ops.conv import conv2d, conv2d_bwd_data, conv2d_bwd_filter, conv2d_fwd
from fastconv.ops.gemm import dense, fma_peak_probe, gemm, matmul

__all__ = ["dense", "fma_peak_probe", "gemm", "matmul", "conv2d", "conv2d_fwd", "conv2d_bwd_data", "conv2d_bwd_filter"]
