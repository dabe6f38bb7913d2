// y = max(x, 0), 8 floats per ymm, scalar tail (exact either way). max(0, x) operand order lets
// NaN through (max_ps returns the second operand on NaN), as np.maximum. Contract: nn/ukernel.h.
#include <immintrin.h>

#include "nn/ukernel.h"

namespace fastconv {

void f32_relu_ukernel_x8__avx2(size_t n, const float* x, float* y) {
  const __m256 zero = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
    const __m256 c = _mm256_loadu_ps(x + i + 16), d = _mm256_loadu_ps(x + i + 24);
    _mm256_storeu_ps(y + i, _mm256_max_ps(zero, a));
    _mm256_storeu_ps(y + i + 8, _mm256_max_ps(zero, b));
    _mm256_storeu_ps(y + i + 16, _mm256_max_ps(zero, c));
    _mm256_storeu_ps(y + i + 24, _mm256_max_ps(zero, d));
  }
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_max_ps(zero, _mm256_loadu_ps(x + i)));
  for (; i < n; ++i) y[i] = x[i] < 0.0f ? 0.0f : x[i];  // NaN passes through, as np.maximum
}

}  // namespace fastconv
