// f32_winograd4_wgrad_out_ukernel_c8__avx2: Winograd F(3x3, 4x4) output transform
// dW = (24 G^T) m (24 G^T)^T / 576, 4 filters per step in float64 (one ymm of doubles), masked
// for the tail. Contract: conv/winograd_wgrad_ukernel.h (same float64 expressions as the scalar
// and AVX-512 kernels, so the result is identical on every ISA).
#include <immintrin.h>

#include <algorithm>

#include "conv/winograd4_wgrad_math.h"
#include "conv/winograd_wgrad_ukernel.h"

namespace fastconv {
namespace {

struct V4d {
  __m256d v;
};
inline V4d operator+(V4d a, V4d b) { return {_mm256_add_pd(a.v, b.v)}; }
inline V4d operator-(V4d a, V4d b) { return {_mm256_sub_pd(a.v, b.v)}; }
inline V4d operator*(V4d a, double s) { return {_mm256_mul_pd(a.v, _mm256_set1_pd(s))}; }

// 4 filters (mask: lanes < n) from m + j into w + j.
inline void quarter(const float* m, int64_t ldm, int64_t j, __m128i mask, float* w,
                    int64_t tap_stride) {
  V4d t[3][6];
#pragma GCC unroll 6
  for (int q = 0; q < 6; ++q) {
    V4d x[6], y[3];
    for (int r = 0; r < 6; ++r)
      x[r].v = _mm256_cvtps_pd(_mm_maskload_ps(m + (r * 6 + q) * ldm + j, mask));
    winograd4_wgrad::gt6(x, y);
    for (int k = 0; k < 3; ++k) t[k][q] = y[k];
  }
#pragma GCC unroll 3
  for (int k = 0; k < 3; ++k) {
    V4d y[3];
    winograd4_wgrad::gt6(t[k], y);
    for (int l = 0; l < 3; ++l)
      _mm_maskstore_ps(w + (k * 3 + l) * tap_stride + j, mask,
                       _mm256_cvtpd_ps(_mm256_div_pd(y[l].v, _mm256_set1_pd(576.0))));
  }
}

}  // namespace

void f32_winograd4_wgrad_out_ukernel_c8__avx2(const float* m, int64_t ldm, int64_t f, float* w,
                                              int64_t tap_stride) {
  for (int64_t j = 0; j < f; j += 4) {
    const int n = static_cast<int>(std::min<int64_t>(f - j, 4));
    const __m128i mask = _mm_cmpgt_epi32(_mm_set1_epi32(n), _mm_setr_epi32(0, 1, 2, 3));
    quarter(m, ldm, j, mask, w, tap_stride);
  }
}

}  // namespace fastconv
