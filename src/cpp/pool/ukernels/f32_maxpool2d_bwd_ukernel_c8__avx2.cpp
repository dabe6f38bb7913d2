// Max-pool backward for one window, 8 channels per ymm: pass 1 finds the per-lane maximum, pass
// 2 gives dy to the first cell (row-major) equal to it, retiring served lanes with an `open`
// mask (first-max tie rule, no scatter). Scalar loop for the channel tail.
// Contract: pool/ukernel.h (MaxPoolBwdFn).
#include <immintrin.h>

#include "pool/ukernel.h"

namespace fastconv {

void f32_maxpool2d_bwd_ukernel_c8__avx2(size_t c, size_t rh, size_t rw, const float* x,
                                        size_t row_stride, size_t col_stride, const float* dy,
                                        float* dx, bool accumulate, bool relu_mask) {
  size_t k = 0;
  for (; k + 8 <= c; k += 8) {
    const float* xb = x + k;
    float* db = dx + k;
    __m256 best = _mm256_loadu_ps(xb);
    for (size_t i = 0; i < rh; ++i)
      for (size_t j = (i == 0 ? 1 : 0); j < rw; ++j)
        best = _mm256_max_ps(best, _mm256_loadu_ps(xb + i * row_stride + j * col_stride));
    __m256 g = _mm256_loadu_ps(dy + k);
    if (relu_mask) g = _mm256_and_ps(g, _mm256_cmp_ps(best, _mm256_setzero_ps(), _CMP_GT_OQ));
    __m256 open = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
    for (size_t i = 0; i < rh; ++i) {
      for (size_t j = 0; j < rw; ++j) {
        const size_t off = i * row_stride + j * col_stride;
        const __m256 hit = _mm256_and_ps(open, _mm256_cmp_ps(_mm256_loadu_ps(xb + off), best,
                                                             _CMP_EQ_OQ));
        open = _mm256_andnot_ps(hit, open);
        const __m256 share = _mm256_and_ps(hit, g);
        if (accumulate) {
          _mm256_storeu_ps(db + off, _mm256_add_ps(_mm256_loadu_ps(db + off), share));
        } else {
          _mm256_storeu_ps(db + off, share);
        }
      }
    }
  }
  for (; k < c; ++k) {
    float best = x[k];
    size_t best_off = 0;
    for (size_t i = 0; i < rh; ++i)
      for (size_t j = 0; j < rw; ++j) {
        const size_t off = i * row_stride + j * col_stride;
        if (x[off + k] > best) {
          best = x[off + k];
          best_off = off;
        }
      }
    if (!accumulate)
      for (size_t i = 0; i < rh; ++i)
        for (size_t j = 0; j < rw; ++j) dx[i * row_stride + j * col_stride + k] = 0.0f;
    dx[best_off + k] += relu_mask && !(best > 0.0f) ? 0.0f : dy[k];
  }
}

}  // namespace fastconv
