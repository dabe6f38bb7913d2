// Batch-norm apply, y = (x - mean) * scale + shift (one FMA after the subtraction), 16 channels
// per zmm along each row, the channel tail masked; every row starts at channel 0, so an element's
// result depends only on its channel, never on how rows were split over threads.
// Contract: nn/ukernel.h (BnApplyFn).
#include <immintrin.h>

#include "nn/ukernel.h"

namespace fastconv {

void f32_batchnorm_ukernel_c16__avx512f(size_t rows, size_t c, const float* x, const float* mean,
                                        const float* scale, const float* shift, float* y) {
  const size_t full = c & ~size_t(15);
  const __mmask16 tail = __mmask16((1u << (c - full)) - 1);
  for (size_t r = 0; r < rows; ++r, x += c, y += c) {
    size_t k = 0;
    for (; k < full; k += 16) {
      const __m512 d = _mm512_sub_ps(_mm512_loadu_ps(x + k), _mm512_loadu_ps(mean + k));
      _mm512_storeu_ps(y + k, _mm512_fmadd_ps(d, _mm512_loadu_ps(scale + k),
                                              _mm512_loadu_ps(shift + k)));
    }
    if (tail) {
      const __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(tail, x + k),
                                     _mm512_maskz_loadu_ps(tail, mean + k));
      _mm512_mask_storeu_ps(y + k, tail, _mm512_fmadd_ps(d, _mm512_maskz_loadu_ps(tail, scale + k),
                                                         _mm512_maskz_loadu_ps(tail, shift + k)));
    }
  }
}

}  // namespace fastconv
