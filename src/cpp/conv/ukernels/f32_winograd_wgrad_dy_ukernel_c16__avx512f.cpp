// f32_winograd_wgrad_dy_ukernel_c16__avx512f: Winograd F(3x3, 2x2) dy transform, 16 filters per
// step, masked loads/stores for the tail (nothing past f is read or written).
// Contract: conv/winograd_wgrad_ukernel.h (same operation order as the scalar kernel).
#include <immintrin.h>

#include "conv/winograd_wgrad_ukernel.h"

namespace fastconv {
namespace {

template <bool kTail>
inline __m512 load(const float* p, __mmask16 mask) {
  return kTail ? _mm512_maskz_loadu_ps(mask, p) : _mm512_loadu_ps(p);
}

template <bool kTail>
inline void store(float* p, __m512 x, __mmask16 mask) {
  if (kTail) _mm512_mask_storeu_ps(p, mask, x);
  else _mm512_storeu_ps(p, x);
}

template <bool kTail>
inline void step(const float* const* e, int64_t j, __mmask16 mask, float* out, int64_t ldo) {
  const __m512 e00 = load<kTail>(e[0] + j, mask), e01 = load<kTail>(e[1] + j, mask),
               e10 = load<kTail>(e[2] + j, mask), e11 = load<kTail>(e[3] + j, mask);
  const __m512 s0[4] = {e00, _mm512_add_ps(e00, e10), _mm512_sub_ps(e00, e10), e10};
  const __m512 s1[4] = {e01, _mm512_add_ps(e01, e11), _mm512_sub_ps(e01, e11), e11};
#pragma GCC unroll 4
  for (int r = 0; r < 4; ++r) {
    store<kTail>(out + (r * 4 + 0) * ldo + j, s0[r], mask);
    store<kTail>(out + (r * 4 + 1) * ldo + j, _mm512_add_ps(s0[r], s1[r]), mask);
    store<kTail>(out + (r * 4 + 2) * ldo + j, _mm512_sub_ps(s0[r], s1[r]), mask);
    store<kTail>(out + (r * 4 + 3) * ldo + j, s1[r], mask);
  }
}

}  // namespace

void f32_winograd_wgrad_dy_ukernel_c16__avx512f(const float* const* e, int64_t f, float* out,
                                                int64_t ldo) {
  int64_t j = 0;
  for (; j + 16 <= f; j += 16) step<false>(e, j, 0xFFFF, out, ldo);
  if (j < f) step<true>(e, j, static_cast<__mmask16>((1u << (f - j)) - 1u), out, ldo);
}

}  // namespace fastconv
