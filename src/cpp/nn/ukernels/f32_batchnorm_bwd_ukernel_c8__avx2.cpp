// Batch-norm backward apply, dx = a * dy + (b * (x - mean) + d) (two FMAs), 8 channels per ymm
// along each row, maskload/maskstore for the channel tail; results depend only on the channel.
// Contract: nn/ukernel.h (BnBwdApplyFn).
#include <immintrin.h>

#include "nn/ukernel.h"

namespace fastconv {

void f32_batchnorm_bwd_ukernel_c8__avx2(size_t rows, size_t c, const float* dy, const float* x,
                                        const float* mean, const float* a, const float* b,
                                        const float* d, float* dx) {
  const size_t full = c & ~size_t(7);
  const __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32(int(c - full)),
                                          _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  for (size_t r = 0; r < rows; ++r, dy += c, x += c, dx += c) {
    size_t k = 0;
    for (; k < full; k += 8) {
      const __m256 xm = _mm256_sub_ps(_mm256_loadu_ps(x + k), _mm256_loadu_ps(mean + k));
      const __m256 t = _mm256_fmadd_ps(_mm256_loadu_ps(b + k), xm, _mm256_loadu_ps(d + k));
      _mm256_storeu_ps(dx + k, _mm256_fmadd_ps(_mm256_loadu_ps(a + k), _mm256_loadu_ps(dy + k), t));
    }
    if (k < c) {
      const __m256 xm = _mm256_sub_ps(_mm256_maskload_ps(x + k, tail),
                                      _mm256_maskload_ps(mean + k, tail));
      const __m256 t = _mm256_fmadd_ps(_mm256_maskload_ps(b + k, tail), xm,
                                       _mm256_maskload_ps(d + k, tail));
      _mm256_maskstore_ps(dx + k, tail, _mm256_fmadd_ps(_mm256_maskload_ps(a + k, tail),
                                                        _mm256_maskload_ps(dy + k, tail), t));
    }
  }
}

}  // namespace fastconv
