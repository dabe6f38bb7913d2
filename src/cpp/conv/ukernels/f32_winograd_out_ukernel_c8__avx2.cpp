// f32_winograd_out_ukernel_c8__avx2: Winograd F(2x2, 3x3) output transform with the bias /
// ReLU epilogue, 8 filters per step, maskload/maskstore for the tail (nothing past f is read
// or written). Contract: conv/winograd_ukernel.h (same operation order as the scalar kernel).
#include <immintrin.h>

#include "conv/winograd_ukernel.h"

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
inline void step(const float* m, int64_t ldm, int64_t j, __m256i mask, const float* bias,
                 bool relu, float* const* y) {
  __m256 r0[4], r1[4];
#pragma GCC unroll 4
  for (int q = 0; q < 4; ++q) {
    const __m256 m0 = load<kTail>(m + q * ldm + j, mask),
                 m1 = load<kTail>(m + (4 + q) * ldm + j, mask),
                 m2 = load<kTail>(m + (8 + q) * ldm + j, mask),
                 m3 = load<kTail>(m + (12 + q) * ldm + j, mask);
    r0[q] = _mm256_add_ps(_mm256_add_ps(m0, m1), m2);
    r1[q] = _mm256_sub_ps(_mm256_sub_ps(m1, m2), m3);
  }
  __m256 o[4] = {_mm256_add_ps(_mm256_add_ps(r0[0], r0[1]), r0[2]),
                 _mm256_sub_ps(_mm256_sub_ps(r0[1], r0[2]), r0[3]),
                 _mm256_add_ps(_mm256_add_ps(r1[0], r1[1]), r1[2]),
                 _mm256_sub_ps(_mm256_sub_ps(r1[1], r1[2]), r1[3])};
  const __m256 b = bias ? load<kTail>(bias + j, mask) : _mm256_setzero_ps();
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    __m256 val = bias ? _mm256_add_ps(o[i], b) : o[i];
    // max(0, v) returns v when v is NaN.
    if (relu) val = _mm256_max_ps(_mm256_setzero_ps(), val);
    if (kTail) _mm256_maskstore_ps(y[i] + j, mask, val);
    else _mm256_storeu_ps(y[i] + j, val);
  }
}

}  // namespace

void f32_winograd_out_ukernel_c8__avx2(const float* m, int64_t ldm, int64_t f,
                                       const float* bias, bool relu, float* const* y) {
  int64_t j = 0;
  for (; j + 8 <= f; j += 8) step<false>(m, ldm, j, _mm256_set1_epi32(-1), bias, relu, y);
  if (j < f) step<true>(m, ldm, j, tail_mask(f - j), bias, relu, y);
}

}  // namespace fastconv
