// Batch-norm apply, y = (x - mean) * scale + shift (one FMA after the subtraction), 8 channels
// per ymm along each row, maskload/maskstore for the channel tail so every channel runs the same
// instructions; an element's result depends only on its channel, not on the row split.
// Contract: nn/ukernel.h (BnApplyFn).
#include <immintrin.h>

#include "nn/ukernel.h"

namespace fastconv {

void f32_batchnorm_ukernel_c8__avx2(size_t rows, size_t c, const float* x, const float* mean,
                                    const float* scale, const float* shift, float* y) {
  const size_t full = c & ~size_t(7);
  const __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32(int(c - full)),
                                          _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  for (size_t r = 0; r < rows; ++r, x += c, y += c) {
    size_t k = 0;
    for (; k < full; k += 8) {
      const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + k), _mm256_loadu_ps(mean + k));
      _mm256_storeu_ps(y + k, _mm256_fmadd_ps(d, _mm256_loadu_ps(scale + k),
                                              _mm256_loadu_ps(shift + k)));
    }
    if (k < c) {
      const __m256 d = _mm256_sub_ps(_mm256_maskload_ps(x + k, tail),
                                     _mm256_maskload_ps(mean + k, tail));
      _mm256_maskstore_ps(y + k, tail, _mm256_fmadd_ps(d, _mm256_maskload_ps(scale + k, tail),
                                                       _mm256_maskload_ps(shift + k, tail)));
    }
  }
}

}  // namespace fastconv
