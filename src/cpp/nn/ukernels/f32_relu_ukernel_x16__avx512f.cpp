// y = max(x, 0), 16 floats per zmm, masked tail. max_ps returns its second operand when either
// is NaN, so max(0, x) lets NaN through as np.maximum does. Contract: nn/ukernel.h (ReluFn).
#include <immintrin.h>

#include "nn/ukernel.h"

namespace fastconv {

void f32_relu_ukernel_x16__avx512f(size_t n, const float* x, float* y) {
  const __m512 zero = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const __m512 a = _mm512_loadu_ps(x + i), b = _mm512_loadu_ps(x + i + 16);
    const __m512 c = _mm512_loadu_ps(x + i + 32), d = _mm512_loadu_ps(x + i + 48);
    _mm512_storeu_ps(y + i, _mm512_max_ps(zero, a));
    _mm512_storeu_ps(y + i + 16, _mm512_max_ps(zero, b));
    _mm512_storeu_ps(y + i + 32, _mm512_max_ps(zero, c));
    _mm512_storeu_ps(y + i + 48, _mm512_max_ps(zero, d));
  }
  for (; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (n - i)) - 1);
    _mm512_mask_storeu_ps(y + i, m, _mm512_max_ps(zero, _mm512_maskz_loadu_ps(m, x + i)));
  }
}

}  // namespace fastconv
