// Keras SGD step in place, 16 floats per zmm (see f32_sgd_ukernel_x1__scalar for the formulas):
// v = momentum * v - lr * g as one multiply and one FMA; p -= lr * g as one FMA. The tail uses
// masked loads/stores (not a scalar loop) so every element sees the same instructions and the
// result does not depend on where a thread's range starts. Contract: nn/ukernel.h (SgdFn).
#include <immintrin.h>

#include "nn/ukernel.h"

namespace fastconv {

void f32_sgd_ukernel_x16__avx512f(size_t n, float* p, const float* g, float* v, float lr,
                                  float momentum, bool nesterov) {
  const __m512 vlr = _mm512_set1_ps(lr), vmom = _mm512_set1_ps(momentum);
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 k = n - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (n - i)) - 1);
    const __m512 gi = _mm512_maskz_loadu_ps(k, g + i);
    const __m512 pi = _mm512_maskz_loadu_ps(k, p + i);
    if (momentum == 0.0f) {
      _mm512_mask_storeu_ps(p + i, k, _mm512_fnmadd_ps(vlr, gi, pi));
      continue;
    }
    const __m512 vi = _mm512_fnmadd_ps(vlr, gi, _mm512_mul_ps(vmom, _mm512_maskz_loadu_ps(k, v + i)));
    _mm512_mask_storeu_ps(v + i, k, vi);
    const __m512 step = nesterov ? _mm512_fnmadd_ps(vlr, gi, _mm512_mul_ps(vmom, vi)) : vi;
    _mm512_mask_storeu_ps(p + i, k, _mm512_add_ps(pi, step));
  }
}

}  // namespace fastconv
