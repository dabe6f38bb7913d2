// f32_conv_direct1_ukernel_x32__avx512f. Contract: conv/conv_ukernel.h.
// The ntaps x 32 weights (<= 18 zmm) stay in registers for the whole row; 4 pixels are in
// flight (8 accumulators) to cover the FMA latency. Per pixel: ntaps broadcasts from the image,
// 2*ntaps FMAs and two stores, with no pointer tables and no packing.
#include <immintrin.h>

#include "conv/conv_ukernel.h"

namespace fastconv {
namespace {

template <int T>
void row(int64_t npix, const float* x, int64_t xs, const int64_t* tap_off, const float* w,
         int64_t ldw, const float* bias, bool relu, float* y, int64_t ldy, int n) {
  const __mmask16 m0 = n >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1);
  const __mmask16 m1 = n >= 32 ? __mmask16(0xFFFF) : n <= 16 ? __mmask16(0)
                                                             : __mmask16((1u << (n - 16)) - 1);
  __m512 w0[T], w1[T];
  int64_t off[T];
#pragma GCC unroll 9
  for (int t = 0; t < T; ++t) {
    w0[t] = _mm512_maskz_loadu_ps(m0, w + t * ldw);
    w1[t] = _mm512_maskz_loadu_ps(m1, w + t * ldw + 16);
    off[t] = tap_off[t];
  }
  const __m512 b0 = bias ? _mm512_maskz_loadu_ps(m0, bias) : _mm512_setzero_ps();
  const __m512 b1 = bias ? _mm512_maskz_loadu_ps(m1, bias + 16) : _mm512_setzero_ps();
  const __m512 zero = _mm512_setzero_ps();
  constexpr int P = 4;
  int64_t i = 0;
  for (; i + P <= npix; i += P, x += P * xs, y += P * ldy) {
    __m512 a0[P], a1[P];
#pragma GCC unroll 4
    for (int q = 0; q < P; ++q) a0[q] = a1[q] = zero;
#pragma GCC unroll 9
    for (int t = 0; t < T; ++t) {
#pragma GCC unroll 4
      for (int q = 0; q < P; ++q) {
        const __m512 v = _mm512_set1_ps(x[q * xs + off[t]]);
        a0[q] = _mm512_fmadd_ps(v, w0[t], a0[q]);
        a1[q] = _mm512_fmadd_ps(v, w1[t], a1[q]);
      }
    }
#pragma GCC unroll 4
    for (int q = 0; q < P; ++q) {
      __m512 r0 = _mm512_add_ps(a0[q], b0), r1 = _mm512_add_ps(a1[q], b1);
      if (relu) {
        r0 = _mm512_max_ps(zero, r0);  // NaN passes through
        r1 = _mm512_max_ps(zero, r1);
      }
      _mm512_mask_storeu_ps(y + q * ldy, m0, r0);
      _mm512_mask_storeu_ps(y + q * ldy + 16, m1, r1);
    }
  }
  for (; i < npix; ++i, x += xs, y += ldy) {
    __m512 a0 = zero, a1 = zero;
#pragma GCC unroll 9
    for (int t = 0; t < T; ++t) {
      const __m512 v = _mm512_set1_ps(x[off[t]]);
      a0 = _mm512_fmadd_ps(v, w0[t], a0);
      a1 = _mm512_fmadd_ps(v, w1[t], a1);
    }
    __m512 r0 = _mm512_add_ps(a0, b0), r1 = _mm512_add_ps(a1, b1);
    if (relu) {
      r0 = _mm512_max_ps(zero, r0);
      r1 = _mm512_max_ps(zero, r1);
    }
    _mm512_mask_storeu_ps(y, m0, r0);
    _mm512_mask_storeu_ps(y + 16, m1, r1);
  }
}

}  // namespace

void f32_conv_direct1_ukernel_x32__avx512f(int64_t npix, const float* x, int64_t xs,
                                           const int64_t* tap_off, int ntaps, const float* w,
                                           int64_t ldw, const float* bias, bool relu, float* y,
                                           int64_t ldy, int n) {
  switch (ntaps) {
    case 1: return row<1>(npix, x, xs, tap_off, w, ldw, bias, relu, y, ldy, n);
    case 2: return row<2>(npix, x, xs, tap_off, w, ldw, bias, relu, y, ldy, n);
    case 3: return row<3>(npix, x, xs, tap_off, w, ldw, bias, relu, y, ldy, n);
    case 4: return row<4>(npix, x, xs, tap_off, w, ldw, bias, relu, y, ldy, n);
    case 5: return row<5>(npix, x, xs, tap_off, w, ldw, bias, relu, y, ldy, n);
    case 6: return row<6>(npix, x, xs, tap_off, w, ldw, bias, relu, y, ldy, n);
    case 7: return row<7>(npix, x, xs, tap_off, w, ldw, bias, relu, y, ldy, n);
    case 8: return row<8>(npix, x, xs, tap_off, w, ldw, bias, relu, y, ldy, n);
    default: return row<9>(npix, x, xs, tap_off, w, ldw, bias, relu, y, ldy, n);
  }
}

}  // namespace fastconv
