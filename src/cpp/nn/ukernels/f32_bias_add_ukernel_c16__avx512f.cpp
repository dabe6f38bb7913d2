// y[r, k] = x[r, k] + b[k], 16 channels per zmm along each row, the channel tail masked (exact
// either way). Contract: nn/ukernel.h (BiasAddFn).
#include <immintrin.h>

#include "nn/ukernel.h"

namespace fastconv {

void f32_bias_add_ukernel_c16__avx512f(size_t rows, size_t c, const float* x, const float* b,
                                       float* y) {
  const size_t full = c & ~size_t(15);
  const __mmask16 tail = __mmask16((1u << (c - full)) - 1);
  for (size_t r = 0; r < rows; ++r, x += c, y += c) {
    size_t k = 0;
    for (; k < full; k += 16)
      _mm512_storeu_ps(y + k, _mm512_add_ps(_mm512_loadu_ps(x + k), _mm512_loadu_ps(b + k)));
    if (tail)
      _mm512_mask_storeu_ps(y + k, tail, _mm512_add_ps(_mm512_maskz_loadu_ps(tail, x + k),
                                                       _mm512_maskz_loadu_ps(tail, b + k)));
  }
}

}  // namespace fastconv
