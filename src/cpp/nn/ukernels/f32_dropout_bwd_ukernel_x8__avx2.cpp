// Dropout backward, dx = mask ? dy * scale : 0, 8 elements per iteration (mask bytes widened to
// 32-bit lanes, compared with 0 and ANDed with the product); scalar tail, exact either way.
// Contract: nn/ukernel.h (DropoutBwdFn).
#include <immintrin.h>

#include <cstring>

#include "nn/ukernel.h"

namespace fastconv {

void f32_dropout_bwd_ukernel_x8__avx2(size_t n, const float* dy, const uint8_t* mask,
                                      float scale, float* dx) {
  const __m256 vscale = _mm256_set1_ps(scale);
  const __m256i zero = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    int64_t bytes;
    std::memcpy(&bytes, mask + i, 8);
    const __m256i m = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(bytes));
    const __m256 keep = _mm256_castsi256_ps(_mm256_xor_si256(_mm256_cmpeq_epi32(m, zero),
                                                             _mm256_set1_epi32(-1)));
    _mm256_storeu_ps(dx + i, _mm256_and_ps(keep, _mm256_mul_ps(_mm256_loadu_ps(dy + i), vscale)));
  }
  for (; i < n; ++i) dx[i] = mask[i] ? dy[i] * scale : 0.0f;
}

}  // namespace fastconv
