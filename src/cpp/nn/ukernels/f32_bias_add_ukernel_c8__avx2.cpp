// y[r, k] = x[r, k] + b[k], 8 channels per ymm along each row, maskload/maskstore for the channel
// tail (exact either way). Contract: nn/ukernel.h (BiasAddFn).
#include <immintrin.h>

#include "nn/ukernel.h"

namespace fastconv {

void f32_bias_add_ukernel_c8__avx2(size_t rows, size_t c, const float* x, const float* b,
                                   float* y) {
  const size_t full = c & ~size_t(7);
  const __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32(int(c - full)),
                                          _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  for (size_t r = 0; r < rows; ++r, x += c, y += c) {
    size_t k = 0;
    for (; k < full; k += 8)
      _mm256_storeu_ps(y + k, _mm256_add_ps(_mm256_loadu_ps(x + k), _mm256_loadu_ps(b + k)));
    if (k < c)
      _mm256_maskstore_ps(y + k, tail, _mm256_add_ps(_mm256_maskload_ps(x + k, tail),
                                                     _mm256_maskload_ps(b + k, tail)));
  }
}

}  // namespace fastconv
