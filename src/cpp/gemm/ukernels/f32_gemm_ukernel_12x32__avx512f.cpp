// f32_gemm_ukernel_12x32__avx512f (AVX-512F). Contract: see gemm/ukernel.h.
// 24 zmm accumulators (12 rows x 2 vectors of 16) + 2 B vectors; the A broadcasts are folded
// into the FMAs as {1to16} memory operands, so 26 of 32 zmm registers are live.
// Requires b 64-byte aligned (packed panels are). Edge tiles use opmask loads/stores, so C is
// never touched outside the m x n corner.
#include <immintrin.h>

#include "gemm/ukernel.h"

namespace fastconv {
namespace {

inline __mmask16 tail_mask(int n) {
  if (n >= 16) return 0xFFFF;
  if (n <= 0) return 0;
  return static_cast<__mmask16>((1u << n) - 1u);
}

inline __m512 epilogue(__m512 acc, const float* c, const float* bias, __mmask16 mask,
                       const UkernelParams& p, __m512 valpha, __m512 vbeta) {
  __m512 v = _mm512_mul_ps(acc, valpha);
  if (p.beta != 0.0f) v = _mm512_fmadd_ps(vbeta, _mm512_maskz_loadu_ps(mask, c), v);
  if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, bias));
  // max(0, v) returns v when v is NaN: a diverging model shows NaN instead of hiding it.
  if (p.relu) v = _mm512_max_ps(_mm512_setzero_ps(), v);
  return v;
}

}  // namespace

void f32_gemm_ukernel_12x32__avx512f(int64_t kc, const float* a, const float* b, float* c,
                                     int64_t ldc, int m, int n, const UkernelParams& p) {
  constexpr int MR = 12, NR = 32;
  __m512 acc[MR][2];
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();

#pragma GCC unroll 2
  for (int64_t k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_load_ps(b);
    const __m512 b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += MR;
    b += NR;
  }

  const __m512 valpha = _mm512_set1_ps(p.alpha), vbeta = _mm512_set1_ps(p.beta);
  const __mmask16 mask0 = tail_mask(n), mask1 = tail_mask(n - 16);
  const float* bias1 = p.bias ? p.bias + 16 : nullptr;
  // Fully unrolled with a guard so acc is only ever indexed by constants and stays in registers.
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) {
    if (i < m) {
      float* ci = c + i * ldc;
      _mm512_mask_storeu_ps(ci, mask0, epilogue(acc[i][0], ci, p.bias, mask0, p, valpha, vbeta));
      if (mask1)
        _mm512_mask_storeu_ps(ci + 16, mask1,
                              epilogue(acc[i][1], ci + 16, bias1, mask1, p, valpha, vbeta));
    }
  }
}

}  // namespace fastconv
