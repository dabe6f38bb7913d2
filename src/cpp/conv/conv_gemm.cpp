#include "conv/conv_gemm.h"

#include <omp.h>

#include <algorithm>

#include "common/parallel.h"
#include "dispatch/table.h"

namespace fastconv {

void conv_gemm_rows(const GemmProblem& g) {
  if (g.m <= 0 || g.n <= 0) return;
  GemmKernel kern = active_table().gemm;
  // The packed A block (MC x KC) is read once per NR columns of C; with a convolution's few
  // filters that is a handful of times, so it must come back from L2, not from memory.
  int64_t mc = (int64_t{1} << 20) / (4 * kern.kc);  // ~1 MiB of the 2 MiB-class L2
  mc = std::max<int64_t>(kern.mr, mc / kern.mr * kern.mr);
  kern.mc = std::min(kern.mc, mc);

  // Nested regions are normally inactive, so gemm_run inside a worker runs on that worker
  // alone. If the user enabled nesting, let the driver split the whole problem instead.
  const int nt = omp_get_max_active_levels() > 1 ? 1 : threads_for(2.0 * g.m * g.n * g.k, 1.0e6);
  if (nt <= 1) {
    gemm_run(g, kern);
    return;
  }
  const int64_t chunk = 2 * kern.mc;
  const int64_t nchunks = (g.m + chunk - 1) / chunk;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
  for (int64_t t = 0; t < nchunks; ++t) {
    const int64_t r0 = t * chunk;
    RowOffsetPackA a(*g.a, r0);
    GemmProblem sub = g;
    sub.m = std::min(chunk, g.m - r0);
    sub.a = &a;
    sub.c = g.c + r0 * g.ldc;
    gemm_run(sub, kern);
  }
}

void conv_gemm_plain_rows(const float* a, int64_t lda, const GemmProblem& g) {
  if (g.m <= 0 || g.n <= 0) return;
  const GemmKernel& kern = active_table().gemm;
  const int64_t chunk = kPlainChunkTiles * kern.mr;
  const int64_t nchunks = (g.m + chunk - 1) / chunk;
  const int nt = omp_get_max_active_levels() > 1 || nchunks < 2
                     ? 1
                     : threads_for(2.0 * g.m * g.n * g.k, 1.0e6);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
  for (int64_t t = 0; t < nchunks; ++t) {
    const int64_t r0 = t * chunk;
    MatrixPackA pa(a + r0 * lda, lda, false);
    GemmProblem sub = g;
    sub.m = std::min(chunk, g.m - r0);
    sub.a = &pa;
    sub.c = g.c + r0 * g.ldc;
    gemm_run(sub, kern);
  }
}

}  // namespace fastconv
