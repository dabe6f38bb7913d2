// f32_winograd_wgrad_out_ukernel_c16__avx512f: Winograd F(3x3, 2x2) output transform, 16
// filters per step, masked for the tail (nothing past f is read or written).
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
inline void step(const float* m, int64_t ldm, int64_t j, __mmask16 mask, float* w,
                 int64_t tap_stride) {
  const __m512 half = _mm512_set1_ps(0.5f);
  __m512 t[3][4];
#pragma GCC unroll 4
  for (int q = 0; q < 4; ++q) {
    const __m512 m0 = load<kTail>(m + q * ldm + j, mask),
                 m1 = load<kTail>(m + (4 + q) * ldm + j, mask),
                 m2 = load<kTail>(m + (8 + q) * ldm + j, mask),
                 m3 = load<kTail>(m + (12 + q) * ldm + j, mask);
    const __m512 p = _mm512_mul_ps(half, _mm512_add_ps(m1, m2));
    t[0][q] = _mm512_add_ps(m0, p);
    t[1][q] = _mm512_mul_ps(half, _mm512_sub_ps(m1, m2));
    t[2][q] = _mm512_sub_ps(p, m3);
  }
#pragma GCC unroll 3
  for (int k = 0; k < 3; ++k) {
    const __m512 p = _mm512_mul_ps(half, _mm512_add_ps(t[k][1], t[k][2]));
    store<kTail>(w + (k * 3 + 0) * tap_stride + j, _mm512_add_ps(t[k][0], p), mask);
    store<kTail>(w + (k * 3 + 1) * tap_stride + j,
                 _mm512_mul_ps(half, _mm512_sub_ps(t[k][1], t[k][2])), mask);
    store<kTail>(w + (k * 3 + 2) * tap_stride + j, _mm512_sub_ps(p, t[k][3]), mask);
  }
}

}  // namespace

void f32_winograd_wgrad_out_ukernel_c16__avx512f(const float* m, int64_t ldm, int64_t f,
                                                 float* w, int64_t tap_stride) {
  int64_t j = 0;
  for (; j + 16 <= f; j += 16) step<false>(m, ldm, j, 0xFFFF, w, tap_stride);
  if (j < f) step<true>(m, ldm, j, static_cast<__mmask16>((1u << (f - j)) - 1u), w, tap_stride);
}

}  // namespace fastconv
