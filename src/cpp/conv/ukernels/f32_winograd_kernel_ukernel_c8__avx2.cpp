// f32_winograd_kernel_ukernel_c8__avx2: Winograd F(2x2, 3x3) kernel transform, 8 filters per
// step, maskload/maskstore for the tail (nothing past n is read or written). Contract:
// conv/winograd_ukernel.h (the scalar kernel's float32 operations, so U is identical on every
// ISA).
#include <immintrin.h>

#include "conv/winograd_ukernel.h"

namespace fastconv {

void f32_winograd_kernel_ukernel_c8__avx2(const float* g, int64_t tap_stride, int64_t n,
                                          float* u, int64_t ldu) {
  static constexpr float kScale[4] = {1.0f, 0.5f, 0.5f, 1.0f};
  for (int64_t j = 0; j < n; j += 8) {
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n - j)),
                                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    __m256 gg[4][3];
    for (int q = 0; q < 3; ++q) {
      const __m256 g0 = _mm256_maskload_ps(g + q * tap_stride + j, mask);
      const __m256 g1 = _mm256_maskload_ps(g + (3 + q) * tap_stride + j, mask);
      const __m256 g2 = _mm256_maskload_ps(g + (6 + q) * tap_stride + j, mask);
      const __m256 t = _mm256_add_ps(g0, g2);
      gg[0][q] = g0;
      gg[1][q] = _mm256_add_ps(t, g1);
      gg[2][q] = _mm256_sub_ps(t, g1);
      gg[3][q] = g2;
    }
    for (int r = 0; r < 4; ++r) {
      const __m256 a0 = gg[r][0], a1 = gg[r][1], a2 = gg[r][2];
      const __m256 t = _mm256_add_ps(a0, a2);
      const __m256 row[4] = {a0, _mm256_add_ps(t, a1), _mm256_sub_ps(t, a1), a2};
      for (int q = 0; q < 4; ++q) {
        const float scale = kScale[r] * kScale[q];
        const __m256 v = scale == 1.0f ? row[q] : _mm256_mul_ps(row[q], _mm256_set1_ps(scale));
        _mm256_maskstore_ps(u + (r * 4 + q) * ldu + j, mask, v);
      }
    }
  }
}

}  // namespace fastconv
