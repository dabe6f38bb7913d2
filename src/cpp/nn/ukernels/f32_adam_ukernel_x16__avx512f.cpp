// Keras Adam step in place, 16 floats per zmm. The tail uses masked loads/stores (not a scalar
// loop) so every element sees the same instructions and the result does not depend on where a
// thread's range starts. Contract: nn/ukernel.h (AdamFn).
#include <immintrin.h>

#include "nn/ukernel.h"

namespace fastconv {

void f32_adam_ukernel_x16__avx512f(size_t n, float* p, const float* g, float* m, float* v,
                                   const AdamParams& prm) {
  const __m512 vb1 = _mm512_set1_ps(prm.b1), vb2 = _mm512_set1_ps(prm.b2);
  const __m512 vc1 = _mm512_set1_ps(prm.c1), vc2 = _mm512_set1_ps(prm.c2);
  const __m512 vlr = _mm512_set1_ps(prm.lr_t), veps = _mm512_set1_ps(prm.eps);
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 k = n - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (n - i)) - 1);
    const __m512 gi = _mm512_maskz_loadu_ps(k, g + i);
    const __m512 mi = _mm512_fmadd_ps(vb1, _mm512_maskz_loadu_ps(k, m + i), _mm512_mul_ps(vc1, gi));
    const __m512 vi = _mm512_fmadd_ps(vb2, _mm512_maskz_loadu_ps(k, v + i),
                                      _mm512_mul_ps(vc2, _mm512_mul_ps(gi, gi)));
    const __m512 step = _mm512_div_ps(_mm512_mul_ps(vlr, mi), _mm512_add_ps(_mm512_sqrt_ps(vi), veps));
    _mm512_mask_storeu_ps(m + i, k, mi);
    _mm512_mask_storeu_ps(v + i, k, vi);
    _mm512_mask_storeu_ps(p + i, k, _mm512_sub_ps(_mm512_maskz_loadu_ps(k, p + i), step));
  }
}

}  // namespace fastconv
