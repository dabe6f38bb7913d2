// Batch-norm backward apply, dx = a * dy + (b * (x - mean) + d) (two FMAs), 16 channels per zmm
// along each row, the channel tail masked; results depend only on the channel, not on the row
// split. Contract: nn/ukernel.h (BnBwdApplyFn).
#include <immintrin.h>

#include "nn/ukernel.h"

namespace fastconv {

void f32_batchnorm_bwd_ukernel_c16__avx512f(size_t rows, size_t c, const float* dy,
                                            const float* x, const float* mean, const float* a,
                                            const float* b, const float* d, float* dx) {
  const size_t full = c & ~size_t(15);
  const __mmask16 tail = __mmask16((1u << (c - full)) - 1);
  for (size_t r = 0; r < rows; ++r, dy += c, x += c, dx += c) {
    size_t k = 0;
    for (; k < full; k += 16) {
      const __m512 xm = _mm512_sub_ps(_mm512_loadu_ps(x + k), _mm512_loadu_ps(mean + k));
      const __m512 t = _mm512_fmadd_ps(_mm512_loadu_ps(b + k), xm, _mm512_loadu_ps(d + k));
      _mm512_storeu_ps(dx + k, _mm512_fmadd_ps(_mm512_loadu_ps(a + k), _mm512_loadu_ps(dy + k), t));
    }
    if (tail) {
      const __m512 xm = _mm512_sub_ps(_mm512_maskz_loadu_ps(tail, x + k),
                                      _mm512_maskz_loadu_ps(tail, mean + k));
      const __m512 t = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, b + k), xm,
                                       _mm512_maskz_loadu_ps(tail, d + k));
      _mm512_mask_storeu_ps(dx + k, tail,
                            _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, a + k),
                                            _mm512_maskz_loadu_ps(tail, dy + k), t));
    }
  }
}

}  // namespace fastconv
