// Convolution backward-filter: dw[K x F] = im2col(x)^T[K x M] . dy[M x F] and db = the column
// sums of dy. The GEMM's depth is M = N*OH*OW; the driver walks it in fixed KC blocks, so the
// reduction order never depends on the thread count.
#include <omp.h>

#include <algorithm>

#include "common/parallel.h"
#include "conv/conv.h"
#include "conv/conv_pack.h"
#include "gemm/driver.h"

namespace fastconv {

// x (N,H,W,C), dy (N,OH,OW,F) -> dw (KH,KW,C,F), db (F) or null.
void conv2d_bwd_filter(const ConvShape& s, const float* x, const float* dy, float* dw,
                       float* db) {
  const bool pointwise = s.kh == 1 && s.kw == 1 && s.sh == 1 && s.sw == 1 && s.pt == 0 &&
                         s.pb == 0 && s.pl == 0 && s.pr == 0;
  const int64_t M = s.m(), F = s.f;
  // For a pointwise conv im2col(x) is x itself (M x C), so op(A) = x^T.
  MatrixPackA plain(x, s.c, true);
  Im2colTransPackA gather(s, x);
  MatrixPackB pb(dy, F, false);
  GemmProblem g;
  g.m = s.k();
  g.n = F;
  g.k = M;
  g.a = pointwise ? static_cast<const PackA*>(&plain) : &gather;
  g.b = &pb;
  g.c = dw;
  g.ldc = F;
  gemm_run(g);  // M == 0 gives dw = 0

  if (db != nullptr) {
    // Columns are independent, so threads split F; each column is summed in row order.
    const int nt = threads_for(static_cast<double>(M) * F, 1.0e5);
#pragma omp parallel num_threads(nt)
    {
      int64_t lo, hi;
      split_range(F, omp_get_num_threads(), omp_get_thread_num(), &lo, &hi);
      for (int64_t j = lo; j < hi; ++j) db[j] = 0.0f;
      for (int64_t i = 0; i < M; ++i) {
        const float* row = dy + i * F;
        for (int64_t j = lo; j < hi; ++j) db[j] += row[j];
      }
    }
  }
}

}  // namespace fastconv
