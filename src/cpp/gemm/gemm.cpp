#include "gemm/gemm.h"

#include "common/error.h"
#include "gemm/driver.h"

namespace fastconv {

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
          int64_t ldc, const float* bias, bool relu) {
  FASTCONV_CHECK(m >= 0 && n >= 0 && k >= 0, "gemm: negative size m=", m, " n=", n, " k=", k);
  const int64_t a_cols = trans_a ? m : k, b_cols = trans_b ? k : n;
  FASTCONV_CHECK(lda >= (a_cols > 0 ? a_cols : 1) || (trans_a ? k : m) == 0,
                 "gemm: lda=", lda, " is smaller than the ", a_cols, " columns of A");
  FASTCONV_CHECK(ldb >= (b_cols > 0 ? b_cols : 1) || (trans_b ? n : k) == 0,
                 "gemm: ldb=", ldb, " is smaller than the ", b_cols, " columns of B");
  FASTCONV_CHECK(ldc >= (n > 0 ? n : 1) || m == 0, "gemm: ldc=", ldc, " is smaller than n=", n);
  MatrixPackA pa(a, lda, trans_a);
  MatrixPackB pb(b, ldb, trans_b);
  GemmProblem g;
  g.m = m;
  g.n = n;
  g.k = k;
  g.a = &pa;
  g.b = &pb;
  g.c = c;
  g.ldc = ldc;
  g.alpha = alpha;
  g.beta = beta;
  g.bias = bias;
  g.relu = relu;
  gemm_run(g);
}

}  // namespace fastconv
