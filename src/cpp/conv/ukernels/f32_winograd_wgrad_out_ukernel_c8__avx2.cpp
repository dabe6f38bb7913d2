// f32_winograd_wgrad_out_ukernel_c8__avx2: Winograd F(3x3, 2x2) output transform, 8 filters per
// step, maskload/maskstore for the tail (nothing past f is read or written).
// Contract: conv/winograd_wgrad_ukernel.h (same operation order as the scalar kernel).
#include <immintrin.h>

#include "conv/winograd_wgrad_ukernel.h"

namespace fastconv {
namespace {

// Lanes i < n set (maskload/maskstore use the sign bit).
inline __m256i tail_mask(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

template <bool kTail>
inline __m256 load(const float* p, __m256i mask) {
  return kTail ? _mm256_maskload_ps(p, mask) : _mm256_loadu_ps(p);
}

template <bool kTail>
inline void store(float* p, __m256 x, __m256i mask) {
  if (kTail) _mm256_maskstore_ps(p, mask, x);
  else _mm256_storeu_ps(p, x);
}

template <bool kTail>
inline void step(const float* m, int64_t ldm, int64_t j, __m256i mask, float* w,
                 int64_t tap_stride) {
  const __m256 half = _mm256_set1_ps(0.5f);
  __m256 t[3][4];
#pragma GCC unroll 4
  for (int q = 0; q < 4; ++q) {
    const __m256 m0 = load<kTail>(m + q * ldm + j, mask),
                 m1 = load<kTail>(m + (4 + q) * ldm + j, mask),
                 m2 = load<kTail>(m + (8 + q) * ldm + j, mask),
                 m3 = load<kTail>(m + (12 + q) * ldm + j, mask);
    const __m256 p = _mm256_mul_ps(half, _mm256_add_ps(m1, m2));
    t[0][q] = _mm256_add_ps(m0, p);
    t[1][q] = _mm256_mul_ps(half, _mm256_sub_ps(m1, m2));
    t[2][q] = _mm256_sub_ps(p, m3);
  }
#pragma GCC unroll 3
  for (int k = 0; k < 3; ++k) {
    const __m256 p = _mm256_mul_ps(half, _mm256_add_ps(t[k][1], t[k][2]));
    store<kTail>(w + (k * 3 + 0) * tap_stride + j, _mm256_add_ps(t[k][0], p), mask);
    store<kTail>(w + (k * 3 + 1) * tap_stride + j,
                 _mm256_mul_ps(half, _mm256_sub_ps(t[k][1], t[k][2])), mask);
    store<kTail>(w + (k * 3 + 2) * tap_stride + j, _mm256_sub_ps(p, t[k][3]), mask);
  }
}

}  // namespace

void f32_winograd_wgrad_out_ukernel_c8__avx2(const float* m, int64_t ldm, int64_t f, float* w,
                                             int64_t tap_stride) {
  int64_t j = 0;
  for (; j + 8 <= f; j += 8) step<false>(m, ldm, j, _mm256_set1_epi32(-1), w, tap_stride);
  if (j < f) step<true>(m, ldm, j, tail_mask(f - j), w, tap_stride);
}

}  // namespace fastconv
