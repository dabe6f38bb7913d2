// f32_conv_igemm_ukernel_6x16__avx2 (AVX2 + FMA3). Contract: conv/conv_ukernel.h.
// 12 ymm accumulators (6 rows x 2 vectors of 8), 2 weight vectors, 1 broadcast = 15 of 16.
// Edge tiles (n < 16) store with masks, so y is never touched outside the m x n corner.
#include <immintrin.h>

#include "conv/conv_ukernel.h"

namespace fastconv {
namespace {

inline __m256i tail_mask(int n) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lanes);
}

inline __m256 finish(__m256 v, const float* bias, __m256i mask, bool full, bool relu) {
  if (bias) v = _mm256_add_ps(v, full ? _mm256_loadu_ps(bias) : _mm256_maskload_ps(bias, mask));
  if (relu) v = _mm256_max_ps(_mm256_setzero_ps(), v);  // NaN passes through
  return v;
}

}  // namespace

void f32_conv_igemm_ukernel_6x16__avx2(int64_t ntaps, int64_t c, const float* const* a,
                                       const float* w, float* y, int64_t ldy, int m, int n,
                                       const UkernelParams& p) {
  constexpr int MR = 6;
  const int64_t ws = p.ldw != 0 ? p.ldw : 16;  // weight rows: packed, or read in place
  __m256 acc[MR][2];
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_ps();

  for (int64_t t = 0; t < ntaps; ++t, a += MR) {
    const float* ap[MR];
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) ap[i] = a[i];
#pragma GCC unroll 2
    for (int64_t k = 0; k < c; ++k, w += ws) {
      const __m256 w0 = _mm256_loadu_ps(w);
      const __m256 w1 = _mm256_loadu_ps(w + 8);
#pragma GCC unroll 6
      for (int i = 0; i < MR; ++i) {
        const __m256 ai = _mm256_broadcast_ss(ap[i] + k);
        acc[i][0] = _mm256_fmadd_ps(ai, w0, acc[i][0]);
        acc[i][1] = _mm256_fmadd_ps(ai, w1, acc[i][1]);
      }
    }
  }

  const bool full0 = n >= 8, full1 = n >= 16;
  const __m256i mask0 = tail_mask(n), mask1 = tail_mask(n - 8);
  const float* bias1 = p.bias ? p.bias + 8 : nullptr;
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) {
    if (i < m) {
      float* yi = y + i * ldy;
      const __m256 v0 = finish(acc[i][0], p.bias, mask0, full0, p.relu);
      if (full0) _mm256_storeu_ps(yi, v0); else _mm256_maskstore_ps(yi, mask0, v0);
      if (n > 8) {
        const __m256 v1 = finish(acc[i][1], bias1, mask1, full1, p.relu);
        if (full1) _mm256_storeu_ps(yi + 8, v1); else _mm256_maskstore_ps(yi + 8, mask1, v1);
      }
    }
  }
}

}  // namespace fastconv
