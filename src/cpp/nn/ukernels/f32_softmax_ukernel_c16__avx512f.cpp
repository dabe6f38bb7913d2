// Row softmax, 16 classes per zmm: row max (masked tail), e = exp16(z - max) parked in p and
// summed in 16 float lanes (then a fixed tree), p = e * (1 / sum). exp16's error (exp_avx512f.h,
// <= 1.5 * 2^-24 relative) adds to the ~k * 2^-24 of the float sum. Rows are independent, so the
// result does not depend on the thread split. Contract: nn/ukernel.h (SoftmaxFn).
#include <immintrin.h>

#include "nn/ukernel.h"
#include "nn/ukernels/exp_avx512f.h"

namespace fastconv {

void f32_softmax_ukernel_c16__avx512f(size_t rows, size_t k, const float* z, float* p) {
  const size_t full = k & ~size_t(15);
  const __mmask16 tail = __mmask16((1u << (k - full)) - 1);
  for (size_t r = 0; r < rows; ++r, z += k, p += k) {
    __m512 vmax = _mm512_set1_ps(-__builtin_inff());
    size_t j = 0;
    for (; j < full; j += 16) vmax = _mm512_max_ps(vmax, _mm512_loadu_ps(z + j));
    if (tail) vmax = _mm512_mask_max_ps(vmax, tail, vmax, _mm512_maskz_loadu_ps(tail, z + j));
    const __m512 mx = _mm512_set1_ps(_mm512_reduce_max_ps(vmax));
    __m512 vsum = _mm512_setzero_ps();
    for (j = 0; j < full; j += 16) {
      const __m512 e = exp16(_mm512_sub_ps(_mm512_loadu_ps(z + j), mx));
      _mm512_storeu_ps(p + j, e);
      vsum = _mm512_add_ps(vsum, e);
    }
    if (tail) {
      const __m512 e = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(tail, z + j), mx));
      _mm512_mask_storeu_ps(p + j, tail, e);
      vsum = _mm512_mask_add_ps(vsum, tail, vsum, e);
    }
    const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(vsum));
    for (j = 0; j < full; j += 16) _mm512_storeu_ps(p + j, _mm512_mul_ps(_mm512_loadu_ps(p + j), inv));
    if (tail)
      _mm512_mask_storeu_ps(p + j, tail, _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, p + j), inv));
  }
}

}  // namespace fastconv
