// Max over a clipped window, 8 channels per ymm, scalar loop for the channel tail.
// Contract: pool/ukernel.h (MaxPoolFn).
#include <immintrin.h>

#include "pool/ukernel.h"

namespace fastconv {

void f32_maxpool2d_ukernel_c8__avx2(size_t c, size_t rh, size_t rw, const float* x,
                                    size_t row_stride, size_t col_stride, float* y) {
  size_t k = 0;
  for (; k + 8 <= c; k += 8) {
    const float* base = x + k;
    __m256 best = _mm256_loadu_ps(base);
    for (size_t i = 0; i < rh; ++i) {
      const float* row = base + i * row_stride;
      for (size_t j = (i == 0 ? 1 : 0); j < rw; ++j)
        best = _mm256_max_ps(best, _mm256_loadu_ps(row + j * col_stride));
    }
    _mm256_storeu_ps(y + k, best);
  }
  for (; k < c; ++k) {
    float best = x[k];
    for (size_t i = 0; i < rh; ++i)
      for (size_t j = (i == 0 ? 1 : 0); j < rw; ++j) {
        const float v = x[i * row_stride + j * col_stride + k];
        best = v > best ? v : best;
      }
    y[k] = best;
  }
}

}  // namespace fastconv
