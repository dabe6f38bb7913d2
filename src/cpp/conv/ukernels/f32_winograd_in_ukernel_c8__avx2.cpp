// f32_winograd_in_ukernel_c8__avx2: Winograd F(2x2, 3x3) input transform, 8 channels per
// step, maskload/maskstore for the channel tail (nothing past c is read or written).
// Contract: conv/winograd_ukernel.h (same operation order as the scalar kernel).
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
inline void store(float* p, __m256 x, __m256i mask) {
  if (kTail) _mm256_maskstore_ps(p, mask, x);
  else _mm256_storeu_ps(p, x);
}

template <bool kTail>
inline void step(const float* const* d, int64_t k, __m256i mask, float* v, int64_t ldv) {
  __m256 t[4][4];
#pragma GCC unroll 4
  for (int q = 0; q < 4; ++q) {
    const __m256 d0 = load<kTail>(d[q] + k, mask), d1 = load<kTail>(d[4 + q] + k, mask),
                 d2 = load<kTail>(d[8 + q] + k, mask), d3 = load<kTail>(d[12 + q] + k, mask);
    t[0][q] = _mm256_sub_ps(d0, d2);
    t[1][q] = _mm256_add_ps(d1, d2);
    t[2][q] = _mm256_sub_ps(d2, d1);
    t[3][q] = _mm256_sub_ps(d1, d3);
  }
#pragma GCC unroll 4
  for (int r = 0; r < 4; ++r) {
    store<kTail>(v + (r * 4 + 0) * ldv + k, _mm256_sub_ps(t[r][0], t[r][2]), mask);
    store<kTail>(v + (r * 4 + 1) * ldv + k, _mm256_add_ps(t[r][1], t[r][2]), mask);
    store<kTail>(v + (r * 4 + 2) * ldv + k, _mm256_sub_ps(t[r][2], t[r][1]), mask);
    store<kTail>(v + (r * 4 + 3) * ldv + k, _mm256_sub_ps(t[r][1], t[r][3]), mask);
  }
}

}  // namespace

void f32_winograd_in_ukernel_c8__avx2(const float* const* d, int64_t c, float* v,
                                      int64_t ldv) {
  int64_t k = 0;
  for (; k + 8 <= c; k += 8) step<false>(d, k, _mm256_set1_epi32(-1), v, ldv);
  if (k < c) step<true>(d, k, tail_mask(c - k), v, ldv);
}

}  // namespace fastconv
