// f32_winograd_out_ukernel_c16__avx512f: Winograd F(2x2, 3x3) output transform with the bias /
// ReLU epilogue, 16 filters per step, masked loads/stores for the tail (nothing past f is read
// or written). Contract: conv/winograd_ukernel.h (same operation order as the scalar kernel).
#include <immintrin.h>

#include "conv/winograd_ukernel.h"

namespace fastconv {
namespace {

template <bool kTail>
inline __m512 load(const float* p, __mmask16 mask) {
  return kTail ? _mm512_maskz_loadu_ps(mask, p) : _mm512_loadu_ps(p);
}

template <bool kTail>
inline void step(const float* m, int64_t ldm, int64_t j, __mmask16 mask, const float* bias,
                 bool relu, float* const* y) {
  __m512 r0[4], r1[4];
#pragma GCC unroll 4
  for (int q = 0; q < 4; ++q) {
    const __m512 m0 = load<kTail>(m + q * ldm + j, mask),
                 m1 = load<kTail>(m + (4 + q) * ldm + j, mask),
                 m2 = load<kTail>(m + (8 + q) * ldm + j, mask),
                 m3 = load<kTail>(m + (12 + q) * ldm + j, mask);
    r0[q] = _mm512_add_ps(_mm512_add_ps(m0, m1), m2);
    r1[q] = _mm512_sub_ps(_mm512_sub_ps(m1, m2), m3);
  }
  __m512 o[4] = {_mm512_add_ps(_mm512_add_ps(r0[0], r0[1]), r0[2]),
                 _mm512_sub_ps(_mm512_sub_ps(r0[1], r0[2]), r0[3]),
                 _mm512_add_ps(_mm512_add_ps(r1[0], r1[1]), r1[2]),
                 _mm512_sub_ps(_mm512_sub_ps(r1[1], r1[2]), r1[3])};
  const __m512 b = bias ? load<kTail>(bias + j, mask) : _mm512_setzero_ps();
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    __m512 val = bias ? _mm512_add_ps(o[i], b) : o[i];
    // max(0, v) returns v when v is NaN.
    if (relu) val = _mm512_max_ps(_mm512_setzero_ps(), val);
    if (kTail) _mm512_mask_storeu_ps(y[i] + j, mask, val);
    else _mm512_storeu_ps(y[i] + j, val);
  }
}

}  // namespace

void f32_winograd_out_ukernel_c16__avx512f(const float* m, int64_t ldm, int64_t f,
                                           const float* bias, bool relu, float* const* y) {
  int64_t j = 0;
  for (; j + 16 <= f; j += 16) step<false>(m, ldm, j, 0xFFFF, bias, relu, y);
  if (j < f) step<true>(m, ldm, j, static_cast<__mmask16>((1u << (f - j)) - 1u), bias, relu, y);
}

}  // namespace fastconv
