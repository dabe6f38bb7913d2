// f32_winograd_wgrad_dy_ukernel_c8__avx2: Winograd F(3x3, 2x2) dy transform, 8 filters per
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
inline void step(const float* const* e, int64_t j, __m256i mask, float* out, int64_t ldo) {
  const __m256 e00 = load<kTail>(e[0] + j, mask), e01 = load<kTail>(e[1] + j, mask),
               e10 = load<kTail>(e[2] + j, mask), e11 = load<kTail>(e[3] + j, mask);
  const __m256 s0[4] = {e00, _mm256_add_ps(e00, e10), _mm256_sub_ps(e00, e10), e10};
  const __m256 s1[4] = {e01, _mm256_add_ps(e01, e11), _mm256_sub_ps(e01, e11), e11};
#pragma GCC unroll 4
  for (int r = 0; r < 4; ++r) {
    store<kTail>(out + (r * 4 + 0) * ldo + j, s0[r], mask);
    store<kTail>(out + (r * 4 + 1) * ldo + j, _mm256_add_ps(s0[r], s1[r]), mask);
    store<kTail>(out + (r * 4 + 2) * ldo + j, _mm256_sub_ps(s0[r], s1[r]), mask);
    store<kTail>(out + (r * 4 + 3) * ldo + j, s1[r], mask);
  }
}

}  // namespace

void f32_winograd_wgrad_dy_ukernel_c8__avx2(const float* const* e, int64_t f, float* out,
                                            int64_t ldo) {
  int64_t j = 0;
  for (; j + 8 <= f; j += 8) step<false>(e, j, _mm256_set1_epi32(-1), out, ldo);
  if (j < f) step<true>(e, j, tail_mask(f - j), out, ldo);
}

}  // namespace fastconv
