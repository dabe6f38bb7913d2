// sgemm on plain row-major matrices: the entry point behind fastconv.ops.matmul / dense.
#pragma once

#include <cstdint>

namespace fastconv {

// C (m x n, row stride ldc) = alpha * op(A) op(B) + beta * C (+ bias[n]) (relu)
//   op(A) m x k: A stored m x k (trans_a=false) or k x m (trans_a=true), row stride lda
//   op(B) k x n: B stored k x n (trans_b=false) or n x k (trans_b=true), row stride ldb
// beta == 0 overwrites C without reading it. Throws std::invalid_argument on bad sizes.
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
          int64_t ldc, const float* bias = nullptr, bool relu = false);

}  // namespace fastconv
