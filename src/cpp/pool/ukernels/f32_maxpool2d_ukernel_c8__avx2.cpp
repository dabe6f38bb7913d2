// Max over a clipped window, 8 channels per ymm, scalar loop for the channel tail.
// Contract: pool/ukernel.h (MaxPoolFn).
#include <immintrin.h>

#include "pool/ukernel.h"

namespace fastconv {
namespace {

// RH x RW windows, or (0, 0) for the window size given at run time. The usual 2x2 window gets
// its own instance: the same operations in the same order, with the loops unrolled.
template <size_t RH, size_t RW>
void window(size_t c, size_t rh_, size_t rw_, const float* x, size_t row_stride,
            size_t col_stride, float* y) {
  const size_t rh = RH ? RH : rh_, rw = RW ? RW : rw_;
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

}  // namespace

void f32_maxpool2d_ukernel_c8__avx2(size_t c, size_t rh, size_t rw, const float* x,
                                    size_t row_stride, size_t col_stride, float* y) {
  if (rh == 2 && rw == 2) return window<2, 2>(c, rh, rw, x, row_stride, col_stride, y);
  window<0, 0>(c, rh, rw, x, row_stride, col_stride, y);
}

}  // namespace fastconv
