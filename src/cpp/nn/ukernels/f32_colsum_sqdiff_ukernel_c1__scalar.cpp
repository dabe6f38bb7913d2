// Column sums of squared deviations from a known mean (the second pass of a two-pass variance,
// which does not cancel catastrophically like E[x^2] - E[x]^2), and the plain deviations' sum.
// Contract: nn/ukernel.h (ColSumSqDiffFn).
#include "nn/ukernel.h"

namespace fastconv {

void f32_colsum_sqdiff_ukernel_c1__scalar(size_t rows, size_t c, const float* x,
                                          const float* mean, float* __restrict sum,
                                          float* __restrict dsum) {
  for (size_t k = 0; k < c; ++k) sum[k] = 0.0f, dsum[k] = 0.0f;
  for (size_t r = 0; r < rows; ++r)
    for (size_t k = 0; k < c; ++k) {
      const float d = x[r * c + k] - mean[k];
      sum[k] += d * d;
      dsum[k] += d;
    }
}

}  // namespace fastconv
