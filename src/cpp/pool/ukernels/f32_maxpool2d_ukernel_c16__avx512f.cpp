// Max over a clipped window, 16 channels per zmm; the channel tail uses a masked load/store so
// every channel count works without a scalar loop. Contract: pool/ukernel.h (MaxPoolFn).
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
  for (size_t k = 0; k < c; k += 16) {
    const __mmask16 m = c - k >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (c - k)) - 1);
    const float* base = x + k;
    __m512 best = _mm512_maskz_loadu_ps(m, base);
    for (size_t i = 0; i < rh; ++i) {
      const float* row = base + i * row_stride;
      for (size_t j = (i == 0 ? 1 : 0); j < rw; ++j) {
        // NaN propagates as in np.max (see the AVX2 kernel).
        const __m512 v = _mm512_maskz_loadu_ps(m, row + j * col_stride);
        best = _mm512_mask_mov_ps(_mm512_max_ps(v, best),
                                  _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), v);
      }
    }
    _mm512_mask_storeu_ps(y + k, m, best);
  }
}

}  // namespace

void f32_maxpool2d_ukernel_c16__avx512f(size_t c, size_t rh, size_t rw, const float* x,
                                        size_t row_stride, size_t col_stride, float* y) {
  if (rh == 2 && rw == 2) return window<2, 2>(c, rh, rw, x, row_stride, col_stride, y);
  window<0, 0>(c, rh, rw, x, row_stride, col_stride, y);
}

}  // namespace fastconv
