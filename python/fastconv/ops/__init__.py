"""fastconv.ops: one function per op. Validates arguments, converts inputs visibly, calls the
native kernel. The only package code that imports fastconv._core."""

from fastconv.ops.gemm import dense, gemm, matmul

__all__ = ["dense", "gemm", "matmul"]
