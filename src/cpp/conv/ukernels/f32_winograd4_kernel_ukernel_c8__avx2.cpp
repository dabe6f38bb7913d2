// f32_winograd4_kernel_ukernel_c8__avx2: Winograd F(4x4, 3x3) kernel transform U = G g G^T for
// 4 filters at a time (one vector of 4 doubles), in float64 and rounded once: the same
// expressions, in the same order, as f32_winograd4_kernel_ukernel_c16__avx512f (reciprocals of
// 4, 6, 12 and 24 instead of the scalar kernel's divisions), so the two give the same U.
// Contract: conv/winograd_ukernel.h.
#include <immintrin.h>

#include <algorithm>

#include "conv/winograd_ukernel.h"

namespace fastconv {
namespace {

// 3 -> 6 values: G x, on 4 lanes.
inline void g6(const __m256d x[3], __m256d y[6]) {
  const __m256d s = _mm256_add_pd(x[0], x[2]);
  const __m256d m6 = _mm256_set1_pd(-1.0 / 6.0);
  const __m256d a = _mm256_add_pd(_mm256_mul_pd(x[0], _mm256_set1_pd(1.0 / 24.0)),
                                  _mm256_mul_pd(x[2], _mm256_set1_pd(1.0 / 6.0)));
  const __m256d b = _mm256_mul_pd(x[1], _mm256_set1_pd(1.0 / 12.0));
  y[0] = _mm256_mul_pd(x[0], _mm256_set1_pd(0.25));
  y[1] = _mm256_mul_pd(_mm256_add_pd(s, x[1]), m6);
  y[2] = _mm256_mul_pd(_mm256_sub_pd(s, x[1]), m6);
  y[3] = _mm256_add_pd(a, b);
  y[4] = _mm256_sub_pd(a, b);
  y[5] = x[2];
}

// Up to 4 filters starting at g (mask: the lanes < n, as a 4 x 32-bit mask).
inline void block4(const float* g, int64_t tap_stride, float* u, int64_t ldu, __m128i mask) {
  __m256d t[6][3], col[3], out[6];
  for (int q = 0; q < 3; ++q) {  // columns: t = G g (6 x 3)
    for (int r = 0; r < 3; ++r)
      col[r] = _mm256_cvtps_pd(_mm_maskload_ps(g + (r * 3 + q) * tap_stride, mask));
    g6(col, out);
    for (int i = 0; i < 6; ++i) t[i][q] = out[i];
  }
  for (int i = 0; i < 6; ++i) {  // rows: U = t G^T
    g6(t[i], out);
    for (int q = 0; q < 6; ++q) _mm_maskstore_ps(u + (i * 6 + q) * ldu, mask, _mm256_cvtpd_ps(out[q]));
  }
}

}  // namespace

void f32_winograd4_kernel_ukernel_c8__avx2(const float* g, int64_t tap_stride, int64_t n,
                                           float* u, int64_t ldu) {
  for (int64_t j = 0; j < n; j += 4) {
    const int left = static_cast<int>(std::min<int64_t>(n - j, 4));
    const __m128i mask = _mm_cmpgt_epi32(_mm_set1_epi32(left), _mm_setr_epi32(0, 1, 2, 3));
    block4(g + j, tap_stride, u + j, ldu, mask);
  }
}

}  // namespace fastconv
