// dx = dy where x > 0, 8 floats per ymm (compare mask ANDed with dy), scalar tail.
// Contract: nn/ukernel.h (ReluBwdFn).
#include <immintrin.h>

#include "nn/ukernel.h"

namespace fastconv {

void f32_relu_bwd_ukernel_x8__avx2(size_t n, const float* x, const float* dy, float* dx) {
  const __m256 zero = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 pos = _mm256_cmp_ps(_mm256_loadu_ps(x + i), zero, _CMP_GT_OQ);
    _mm256_storeu_ps(dx + i, _mm256_and_ps(pos, _mm256_loadu_ps(dy + i)));
  }
  for (; i < n; ++i) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
}

}  // namespace fastconv
