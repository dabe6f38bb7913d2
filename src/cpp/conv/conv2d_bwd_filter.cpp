// Convolution backward-filter: dw[K x F] = im2col(x)^T[K x M] . dy[M x F] and db = the column
// sums of dy. The GEMM's depth is M = N*OH*OW; the driver walks it in fixed KC blocks, so the
// reduction order never depends on the thread count.
#include <omp.h>

#include <algorithm>

#include "common/parallel.h"
#include "conv/conv.h"
#include "conv/conv_pack.h"
#include "common/buffer.h"
#include "conv/conv_gemm.h"
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
  const PackA& pa = pointwise ? static_cast<const PackA&>(plain) : gather;
  const int64_t K = s.k();

  // The reduction over M is split into chunks whose number depends only on the shape (never
  // on the thread count): each chunk is an independent GEMM into its own partial dw, run by
  // one thread with no barriers, and the partials are summed in chunk order. So the result is
  // the same for any number of threads, and a small K x F (few tiles for the driver to share)
  // still keeps every core busy.
  const int64_t min_rows = 2048;  // below this a chunk's GEMM is mostly overhead
  const int64_t budget = int64_t{1} << 22;  // floats of partial results (16 MiB)
  int64_t nchunks = std::min<int64_t>({16, std::max<int64_t>(1, M / min_rows),
                                       std::max<int64_t>(1, budget / std::max<int64_t>(1, K * F))});
  const int64_t chunk = std::max<int64_t>(1, (M + nchunks - 1) / nchunks);
  nchunks = std::max<int64_t>(1, (M + chunk - 1) / chunk);

  float* partial = nchunks > 1 ? thread_scratch(2, static_cast<size_t>((nchunks - 1) * K * F))
                               : nullptr;
  // Chunk t reduces output pixels [t*chunk, ...) into dw (t = 0) or its own partial.
  auto run_chunk = [&](int64_t t) {
    const int64_t m0 = t * chunk;
    DepthOffsetPackA a(pa, m0);
    MatrixPackB b(dy + m0 * F, F, false);
    GemmProblem g;
    g.m = K;
    g.n = F;
    g.k = std::min(chunk, M - m0);
    g.a = &a;
    g.b = &b;
    g.c = t == 0 ? dw : partial + (t - 1) * K * F;
    g.ldc = F;
    gemm_run(g);
  };
  if (nchunks <= 1) {
    run_chunk(0);  // M == 0 gives dw = 0
  } else {
    const int nt = omp_get_max_active_levels() > 1
                       ? 1
                       : threads_for(2.0 * static_cast<double>(M) * K * F, 1.0e6);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (int64_t t = 0; t < nchunks; ++t) run_chunk(t);
    const int64_t total = K * F;
    const int ntr = threads_for(static_cast<double>(total) * nchunks, 1.0e5);
#pragma omp parallel for schedule(static) num_threads(ntr)
    for (int64_t e0 = 0; e0 < total; e0 += 1024) {
      const int64_t e1 = std::min(total, e0 + 1024);
      for (int64_t t = 1; t < nchunks; ++t) {
        const float* part = partial + (t - 1) * total;
        for (int64_t e = e0; e < e1; ++e) dw[e] += part[e];
      }
    }
  }

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
