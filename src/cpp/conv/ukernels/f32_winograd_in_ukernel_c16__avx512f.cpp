// f32_winograd_in_ukernel_c16__avx512f: Winograd F(2x2, 3x3) input transform, 16 channels per
// step, masked loads/stores for the channel tail (nothing past c is read or written).
// Contract: conv/winograd_ukernel.h (same operation order as the scalar kernel).
#include <immintrin.h>

#include "conv/winograd_ukernel.h"

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
inline void step(const float* const* d, int64_t k, __mmask16 mask, float* v, int64_t ldv) {
  __m512 t[4][4];
#pragma GCC unroll 4
  for (int q = 0; q < 4; ++q) {
    const __m512 d0 = load<kTail>(d[q] + k, mask), d1 = load<kTail>(d[4 + q] + k, mask),
                 d2 = load<kTail>(d[8 + q] + k, mask), d3 = load<kTail>(d[12 + q] + k, mask);
    t[0][q] = _mm512_sub_ps(d0, d2);
    t[1][q] = _mm512_add_ps(d1, d2);
    t[2][q] = _mm512_sub_ps(d2, d1);
    t[3][q] = _mm512_sub_ps(d1, d3);
  }
#pragma GCC unroll 4
  for (int r = 0; r < 4; ++r) {
    store<kTail>(v + (r * 4 + 0) * ldv + k, _mm512_sub_ps(t[r][0], t[r][2]), mask);
    store<kTail>(v + (r * 4 + 1) * ldv + k, _mm512_add_ps(t[r][1], t[r][2]), mask);
    store<kTail>(v + (r * 4 + 2) * ldv + k, _mm512_sub_ps(t[r][2], t[r][1]), mask);
    store<kTail>(v + (r * 4 + 3) * ldv + k, _mm512_sub_ps(t[r][1], t[r][3]), mask);
  }
}

}  // namespace

void f32_winograd_in_ukernel_c16__avx512f(const float* const* d, int64_t c, float* v,
                                          int64_t ldv) {
  int64_t k = 0;
  for (; k + 16 <= c; k += 16) step<false>(d, k, 0xFFFF, v, ldv);
  if (k < c) step<true>(d, k, static_cast<__mmask16>((1u << (c - k)) - 1u), v, ldv);
}

}  // namespace fastconv
