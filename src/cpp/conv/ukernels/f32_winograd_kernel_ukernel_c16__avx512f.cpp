// f32_winograd_kernel_ukernel_c16__avx512f: Winograd F(2x2, 3x3) kernel transform, 16 filters
// per step (two halves of 8 in float64), masked for the tail (nothing past n is read or
// written). Contract: conv/winograd_ukernel.h (same float64 operation order as the scalar
// kernel, so U is identical on every ISA).
#include <immintrin.h>

#include "conv/winograd_ukernel.h"

namespace fastconv {
namespace {

// U = G g G^T for 8 filters in float64: g[r * 3 + q] tap (r, q); u[xi] position xi.
inline void transform8(const __m512d* g, __m512d* u) {
  const __m512d half = _mm512_set1_pd(0.5);
  __m512d gg[4][3];
  for (int q = 0; q < 3; ++q) {
    const __m512d g0 = g[q], g1 = g[3 + q], g2 = g[6 + q];
    gg[0][q] = g0;
    gg[1][q] = _mm512_mul_pd(half, _mm512_add_pd(_mm512_add_pd(g0, g1), g2));
    gg[2][q] = _mm512_mul_pd(half, _mm512_add_pd(_mm512_sub_pd(g0, g1), g2));
    gg[3][q] = g2;
  }
  for (int r = 0; r < 4; ++r) {
    const __m512d a0 = gg[r][0], a1 = gg[r][1], a2 = gg[r][2];
    u[r * 4 + 0] = a0;
    u[r * 4 + 1] = _mm512_mul_pd(half, _mm512_add_pd(_mm512_add_pd(a0, a1), a2));
    u[r * 4 + 2] = _mm512_mul_pd(half, _mm512_add_pd(_mm512_sub_pd(a0, a1), a2));
    u[r * 4 + 3] = a2;
  }
}

inline __m512d lo_pd(__m512 x) { return _mm512_cvtps_pd(_mm512_castps512_ps256(x)); }
inline __m512d hi_pd(__m512 x) {
  return _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x), 1)));
}
inline __m512 join_ps(__m512d lo, __m512d hi) {
  return _mm512_castpd_ps(_mm512_insertf64x4(
      _mm512_castps_pd(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo))),
      _mm256_castps_pd(_mm512_cvtpd_ps(hi)), 1));
}

}  // namespace

void f32_winograd_kernel_ukernel_c16__avx512f(const float* g, int64_t tap_stride, int64_t n,
                                              float* u, int64_t ldu) {
  for (int64_t j = 0; j < n; j += 16) {
    const __mmask16 mask =
        n - j >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (n - j)) - 1u);
    __m512d glo[9], ghi[9], ulo[16], uhi[16];
    for (int t = 0; t < 9; ++t) {
      const __m512 x = _mm512_maskz_loadu_ps(mask, g + t * tap_stride + j);
      glo[t] = lo_pd(x);
      ghi[t] = hi_pd(x);
    }
    transform8(glo, ulo);
    transform8(ghi, uhi);
    for (int xi = 0; xi < 16; ++xi)
      _mm512_mask_storeu_ps(u + xi * ldu + j, mask, join_ps(ulo[xi], uhi[xi]));
  }
}

}  // namespace fastconv
