// Dropout backward, dx = mask ? dy * scale : 0, 16 elements per iteration: the mask bytes are
// widened to 32-bit lanes and tested into a k-mask that zeroes the product. The byte tail is
// copied into a zero-filled 16-byte buffer (byte-masked loads need AVX-512BW), the floats use
// masked loads/stores. Exact, like the scalar kernel. Contract: nn/ukernel.h (DropoutBwdFn).
#include <immintrin.h>

#include <cstring>

#include "nn/ukernel.h"

namespace fastconv {

void f32_dropout_bwd_ukernel_x16__avx512f(size_t n, const float* dy, const uint8_t* mask,
                                          float scale, float* dx) {
  const __m512 vscale = _mm512_set1_ps(scale);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512i m = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(mask + i)));
    const __mmask16 keep = _mm512_test_epi32_mask(m, m);
    _mm512_storeu_ps(dx + i, _mm512_maskz_mul_ps(keep, _mm512_loadu_ps(dy + i), vscale));
  }
  if (i < n) {
    alignas(16) uint8_t buf[16] = {};
    std::memcpy(buf, mask + i, n - i);
    const __mmask16 live = __mmask16((1u << (n - i)) - 1);
    const __m512i m = _mm512_cvtepu8_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(buf)));
    const __mmask16 keep = _mm512_test_epi32_mask(m, m);
    _mm512_mask_storeu_ps(dx + i, live,
                          _mm512_maskz_mul_ps(keep, _mm512_maskz_loadu_ps(live, dy + i), vscale));
  }
}

}  // namespace fastconv
