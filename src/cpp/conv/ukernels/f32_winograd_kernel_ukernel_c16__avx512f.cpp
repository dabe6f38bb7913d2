// f32_winograd_kernel_ukernel_c16__avx512f: Winograd F(2x2, 3x3) kernel transform, 16 filters
// per step, masked for the tail (nothing past n is read or written). Contract:
// conv/winograd_ukernel.h (the scalar kernel's float32 operations, so U is identical on every
// ISA).
#include <immintrin.h>

#include "conv/winograd_ukernel.h"

namespace fastconv {

void f32_winograd_kernel_ukernel_c16__avx512f(const float* g, int64_t tap_stride, int64_t n,
                                              float* u, int64_t ldu) {
  static constexpr float kScale[4] = {1.0f, 0.5f, 0.5f, 1.0f};
  for (int64_t j = 0; j < n; j += 16) {
    const __mmask16 mask =
        n - j >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (n - j)) - 1u);
    __m512 gg[4][3];
    for (int q = 0; q < 3; ++q) {
      const __m512 g0 = _mm512_maskz_loadu_ps(mask, g + q * tap_stride + j);
      const __m512 g1 = _mm512_maskz_loadu_ps(mask, g + (3 + q) * tap_stride + j);
      const __m512 g2 = _mm512_maskz_loadu_ps(mask, g + (6 + q) * tap_stride + j);
      const __m512 t = _mm512_add_ps(g0, g2);
      gg[0][q] = g0;
      gg[1][q] = _mm512_add_ps(t, g1);
      gg[2][q] = _mm512_sub_ps(t, g1);
      gg[3][q] = g2;
    }
    for (int r = 0; r < 4; ++r) {
      const __m512 a0 = gg[r][0], a1 = gg[r][1], a2 = gg[r][2];
      const __m512 t = _mm512_add_ps(a0, a2);
      const __m512 row[4] = {a0, _mm512_add_ps(t, a1), _mm512_sub_ps(t, a1), a2};
      for (int q = 0; q < 4; ++q) {
        const float scale = kScale[r] * kScale[q];
        const __m512 v = scale == 1.0f ? row[q] : _mm512_mul_ps(row[q], _mm512_set1_ps(scale));
        _mm512_mask_storeu_ps(u + (r * 4 + q) * ldu + j, mask, v);
      }
    }
  }
}

}  // namespace fastconv
