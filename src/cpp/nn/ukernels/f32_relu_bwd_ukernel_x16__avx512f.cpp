// dx = dy where x > 0, 16 floats per zmm with a compare mask, masked tail.
// Contract: nn/ukernel.h (ReluBwdFn).
#include <immintrin.h>

#include "nn/ukernel.h"

namespace fastconv {

void f32_relu_bwd_ukernel_x16__avx512f(size_t n, const float* x, const float* dy, float* dx) {
  const __m512 zero = _mm512_setzero_ps();
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (n - i)) - 1);
    const __mmask16 pos = _mm512_mask_cmp_ps_mask(m, _mm512_maskz_loadu_ps(m, x + i), zero,
                                                  _CMP_GT_OQ);
    _mm512_mask_storeu_ps(dx + i, m, _mm512_maskz_loadu_ps(pos, dy + i));
  }
}

}  // namespace fastconv
