// f32_gemm_ukernel_6x16__avx2 (AVX2 + FMA3). Contract: see gemm/ukernel.h.
// 12 ymm accumulators (6 rows x 2 vectors of 8), 2 B vectors, 1 broadcast = 15 of 16 ymm.
// Requires b 32-byte aligned (packed panels are 64-byte aligned). Edge tiles (m < 6 or n < 16)
// are stored with masked loads/stores, so C is never touched outside the m x n corner.
#include <immintrin.h>

#include "gemm/ukernel.h"

namespace fastconv {
namespace {

inline __m256i tail_mask(int n) {
  // lane l is active iff l < n (n may be <= 0 or >= 8).
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lanes);
}

inline __m256 epilogue(__m256 acc, const float* c, const float* bias, __m256i mask, bool full,
                       const UkernelParams& p, __m256 valpha, __m256 vbeta) {
  __m256 v = _mm256_mul_ps(acc, valpha);
  if (p.beta != 0.0f) {
    __m256 old = full ? _mm256_loadu_ps(c) : _mm256_maskload_ps(c, mask);
    v = _mm256_fmadd_ps(vbeta, old, v);
  }
  if (bias) v = _mm256_add_ps(v, full ? _mm256_loadu_ps(bias) : _mm256_maskload_ps(bias, mask));
  // max(0, v) returns v when v is NaN: a diverging model shows NaN instead of hiding it.
  if (p.relu) v = _mm256_max_ps(_mm256_setzero_ps(), v);
  return v;
}

}  // namespace

void f32_gemm_ukernel_6x16__avx2(int64_t kc, const float* a, const float* b, int64_t ldb, float* c,
                                 int64_t ldc, int m, int n, const UkernelParams& p) {
  constexpr int MR = 6, NR = 16;
  __m256 acc[MR][2];
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_ps();

#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + i);
      acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += MR;
    b += ldb;  // == NR: these kernels only get packed panels
  }

  const __m256 valpha = _mm256_set1_ps(p.alpha), vbeta = _mm256_set1_ps(p.beta);
  const bool full0 = n >= 8, full1 = n >= 16;
  const __m256i mask0 = tail_mask(n), mask1 = tail_mask(n - 8);
  const float* bias1 = p.bias ? p.bias + 8 : nullptr;
  // Fully unrolled with a guard so acc is only ever indexed by constants and stays in registers.
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) {
    if (i < m) {
      float* ci = c + i * ldc;
      __m256 v0 = epilogue(acc[i][0], ci, p.bias, mask0, full0, p, valpha, vbeta);
      if (full0) _mm256_storeu_ps(ci, v0); else _mm256_maskstore_ps(ci, mask0, v0);
      if (n > 8) {
        __m256 v1 = epilogue(acc[i][1], ci + 8, bias1, mask1, full1, p, valpha, vbeta);
        if (full1) _mm256_storeu_ps(ci + 8, v1); else _mm256_maskstore_ps(ci + 8, mask1, v1);
      }
    }
  }
}

}  // namespace fastconv
