// Max over a clipped window, 16 channels per zmm; the channel tail uses a masked load/store so
// every channel count works without a scalar loop. Contract: pool/ukernel.h (MaxPoolFn).
#include <immintrin.h>

#include "pool/ukernel.h"

namespace fastconv {

void f32_maxpool2d_ukernel_c16__avx512f(size_t c, size_t rh, size_t rw, const float* x,
                                        size_t row_stride, size_t col_stride, float* y) {
  for (size_t k = 0; k < c; k += 16) {
    const __mmask16 m = c - k >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (c - k)) - 1);
    const float* base = x + k;
    __m512 best = _mm512_maskz_loadu_ps(m, base);
    for (size_t i = 0; i < rh; ++i) {
      const float* row = base + i * row_stride;
      for (size_t j = (i == 0 ? 1 : 0); j < rw; ++j)
      {
        // NaN propagates as in np.max (see the AVX2 kernel).
        const __m512 v = _mm512_maskz_loadu_ps(m, row + j * col_stride);
        best = _mm512_mask_mov_ps(_mm512_max_ps(v, best), _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q),
                                  v);
      }
    }
    _mm512_mask_storeu_ps(y + k, m, best);
  }
}

}  // namespace fastconv
