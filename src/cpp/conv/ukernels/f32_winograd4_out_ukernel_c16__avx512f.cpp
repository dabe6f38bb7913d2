// f32_winograd4_out_ukernel_c16__avx512f: Winograd F(4x4, 3x3) output transform Y = A^T M A
// with the bias / ReLU epilogue, 16 filters per step, masked tail (nothing past f is read or
// written). The expressions are those of conv/winograd4_math.h, as in the scalar kernel.
// Contract: conv/winograd_ukernel.h.
#include <immintrin.h>

#include "conv/winograd4_avx512.h"
#include "conv/winograd4_math.h"
#include "conv/winograd_ukernel.h"

namespace fastconv {
namespace {

using winograd4::Z;

template <bool kTail>
inline void step(const float* m, int64_t ldm, int64_t j, __mmask16 mask, const float* bias,
                 bool relu, float* const* y) {
  Z t[24];
#pragma GCC unroll 6
  for (int q = 0; q < 6; ++q) {  // columns: t = A^T M (4 x 6)
    Z col[6], out[4];
#pragma GCC unroll 6
    for (int r = 0; r < 6; ++r) {
      const float* src = m + (r * 6 + q) * ldm + j;
      col[r].v = kTail ? _mm512_maskz_loadu_ps(mask, src) : _mm512_loadu_ps(src);
    }
    winograd4::at6(col, out);
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) t[i * 6 + q] = out[i];
  }
  const __m512 b = bias ? (kTail ? _mm512_maskz_loadu_ps(mask, bias + j)
                                 : _mm512_loadu_ps(bias + j))
                        : _mm512_setzero_ps();
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {  // rows: Y = t A
    Z out[4];
    winograd4::at6(t + i * 6, out);
#pragma GCC unroll 4
    for (int q = 0; q < 4; ++q) {
      __m512 val = bias ? _mm512_add_ps(out[q].v, b) : out[q].v;
      // max(0, v) returns v when v is NaN.
      if (relu) val = _mm512_max_ps(_mm512_setzero_ps(), val);
      float* dst = y[i * 4 + q] + j;
      if (kTail) _mm512_mask_storeu_ps(dst, mask, val);
      else _mm512_storeu_ps(dst, val);
    }
  }
}

}  // namespace

void f32_winograd4_out_ukernel_c16__avx512f(const float* m, int64_t ldm, int64_t f,
                                            const float* bias, bool relu, float* const* y) {
  int64_t j = 0;
  for (; j + 16 <= f; j += 16) step<false>(m, ldm, j, 0xFFFF, bias, relu, y);
  if (j < f) step<true>(m, ldm, j, static_cast<__mmask16>((1u << (f - j)) - 1u), bias, relu, y);
}

}  // namespace fastconv
