// f32_winograd_kernel_ukernel_c8__avx2: Winograd F(2x2, 3x3) kernel transform, 8 filters per
// step (two halves of 4 in float64), maskload/maskstore for the tail (nothing past n is read or
// written). Contract: conv/winograd_ukernel.h (same float64 operation order as the scalar
// kernel, so U is identical on every ISA).
#include <immintrin.h>

#include "conv/winograd_ukernel.h"

namespace fastconv {
namespace {

// U = G g G^T for 4 filters in float64: g[r * 3 + q] tap (r, q); u[xi] position xi.
inline void transform4(const __m256d* g, __m256d* u) {
  const __m256d half = _mm256_set1_pd(0.5);
  __m256d gg[4][3];
  for (int q = 0; q < 3; ++q) {
    const __m256d g0 = g[q], g1 = g[3 + q], g2 = g[6 + q];
    gg[0][q] = g0;
    gg[1][q] = _mm256_mul_pd(half, _mm256_add_pd(_mm256_add_pd(g0, g1), g2));
    gg[2][q] = _mm256_mul_pd(half, _mm256_add_pd(_mm256_sub_pd(g0, g1), g2));
    gg[3][q] = g2;
  }
  for (int r = 0; r < 4; ++r) {
    const __m256d a0 = gg[r][0], a1 = gg[r][1], a2 = gg[r][2];
    u[r * 4 + 0] = a0;
    u[r * 4 + 1] = _mm256_mul_pd(half, _mm256_add_pd(_mm256_add_pd(a0, a1), a2));
    u[r * 4 + 2] = _mm256_mul_pd(half, _mm256_add_pd(_mm256_sub_pd(a0, a1), a2));
    u[r * 4 + 3] = a2;
  }
}

// Lanes i < n set (maskload/maskstore use the sign bit).
inline __m256i tail_mask(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

}  // namespace

void f32_winograd_kernel_ukernel_c8__avx2(const float* g, int64_t tap_stride, int64_t n,
                                          float* u, int64_t ldu) {
  for (int64_t j = 0; j < n; j += 8) {
    const __m256i mask = tail_mask(n - j);
    __m256d glo[9], ghi[9], ulo[16], uhi[16];
    for (int t = 0; t < 9; ++t) {
      const __m256 x = _mm256_maskload_ps(g + t * tap_stride + j, mask);
      glo[t] = _mm256_cvtps_pd(_mm256_castps256_ps128(x));
      ghi[t] = _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1));
    }
    transform4(glo, ulo);
    transform4(ghi, uhi);
    for (int xi = 0; xi < 16; ++xi)
      _mm256_maskstore_ps(u + xi * ldu + j, mask,
                          _mm256_insertf128_ps(_mm256_castps128_ps256(_mm256_cvtpd_ps(ulo[xi])),
                                               _mm256_cvtpd_ps(uhi[xi]), 1));
  }
}

}  // namespace fastconv
