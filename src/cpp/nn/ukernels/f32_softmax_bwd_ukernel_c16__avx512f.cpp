// Softmax backward from its output, dz = y * (dy - sum(dy * y)) per row, 16 classes per zmm: the
// dot product in 16 float lanes (FMA, then a fixed tree), the class tail masked. Rows are
// independent, so the result does not depend on the thread split.
// Contract: nn/ukernel.h (SoftmaxBwdFn).
#include <immintrin.h>

#include "nn/ukernel.h"

namespace fastconv {

void f32_softmax_bwd_ukernel_c16__avx512f(size_t rows, size_t k, const float* y, const float* dy,
                                          float* dz) {
  const size_t full = k & ~size_t(15);
  const __mmask16 tail = __mmask16((1u << (k - full)) - 1);
  for (size_t r = 0; r < rows; ++r, y += k, dy += k, dz += k) {
    __m512 acc = _mm512_setzero_ps();
    size_t j = 0;
    for (; j < full; j += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(dy + j), _mm512_loadu_ps(y + j), acc);
    if (tail)
      acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, dy + j), _mm512_maskz_loadu_ps(tail, y + j), acc);
    const __m512 dot = _mm512_set1_ps(_mm512_reduce_add_ps(acc));
    for (j = 0; j < full; j += 16)
      _mm512_storeu_ps(dz + j, _mm512_mul_ps(_mm512_loadu_ps(y + j),
                                             _mm512_sub_ps(_mm512_loadu_ps(dy + j), dot)));
    if (tail)
      _mm512_mask_storeu_ps(dz + j, tail,
                            _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, y + j),
                                          _mm512_sub_ps(_mm512_maskz_loadu_ps(tail, dy + j), dot)));
  }
}

}  // namespace fastconv
