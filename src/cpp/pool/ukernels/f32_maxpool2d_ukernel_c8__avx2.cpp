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
      {
        // NaN propagates as in np.max: max_ps(v, best) keeps a NaN best; a NaN v is blended
        // in explicitly (max_ps alone would drop it, or restart from the next cell).
        const __m256 v = _mm256_loadu_ps(row + j * col_stride);
        best = _mm256_blendv_ps(_mm256_max_ps(v, best), v, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
      }
    }
    _mm256_storeu_ps(y + k, best);
  }
  for (; k < c; ++k) {
    float best = x[k];
    for (size_t i = 0; i < rh; ++i)
      for (size_t j = (i == 0 ? 1 : 0); j < rw; ++j) {
        const float v = x[i * row_stride + j * col_stride + k];
        best = (v > best || v != v) ? v : best;  // NaN propagates
      }
    y[k] = best;
  }
}

}  // namespace fastconv
