// f32_winograd4_wgrad_in_ukernel_4x6__avx2: the F(4x4, 3x3) input transform V = B^T d B
// (conv/winograd4_math.h) of 4 tiles for one 6-channel GEMM micro-panel (the 6x16 microkernel's
// A side in the F(3x3, 4x4) weight gradient), written as the panel's 4 x 6 = 24 contiguous
// floats per position: 3 aligned ymm stores instead of 4 maskstores of 6 lanes. Each vector
// gathers its lanes from two tiles with two maskloads (lanes past the panel's c channels load as
// zero; the two halves are disjoint, so OR joins them exactly), as in
// f32_winograd_wgrad_in_ukernel_4x6__avx2. Contract: conv/winograd_wgrad_ukernel.h (input4
// with 36 patch pointers per tile; the expressions of the F(4x4, 3x3) input kernels).
#include <immintrin.h>

#include "conv/winograd4_avx2.h"
#include "conv/winograd4_math.h"
#include "conv/winograd_wgrad_ukernel.h"

namespace fastconv {

void f32_winograd4_wgrad_in_ukernel_4x6__avx2(const float* const* d, int64_t c0, int64_t c,
                                              float* v, int64_t ldv) {
  using winograd4::Y8;
  // Vector j covers panel floats [8 j, 8 j + 8): tile (8 j + l) / 6, channel (8 j + l) % 6.
  // vector 0: tile 0 ch 0-5 | tile 1 ch 0-1;  vector 1: tile 1 ch 2-5 | tile 2 ch 0-3;
  // vector 2: tile 2 ch 4-5 | tile 3 ch 0-5. First part: lanes [0, a), second: [a, 8).
  const int a[3] = {6, 4, 2};
  const int64_t first_ch[3] = {0, 2, 4};
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (int j = 0; j < 3; ++j) {
    const int ta = j, tb = j + 1;
    const __m256i va = _mm256_set1_epi32(a[j]);
    const __m256i ma = _mm256_and_si256(
        _mm256_cmpgt_epi32(va, lane),
        _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(c - first_ch[j])), lane));
    const __m256i mb = _mm256_andnot_si256(
        _mm256_cmpgt_epi32(va, lane),
        _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(c + a[j])), lane));
    const int64_t oa = c0 + first_ch[j], ob = c0 - a[j];
    Y8 t[36];
#pragma GCC unroll 6
    for (int q = 0; q < 6; ++q) {  // columns: t = B^T d
      Y8 col[6], out[6];
#pragma GCC unroll 6
      for (int r = 0; r < 6; ++r) {
        const int k = r * 6 + q;
        col[r].v = _mm256_or_ps(_mm256_maskload_ps(d[ta * 36 + k] + oa, ma),
                                _mm256_maskload_ps(d[tb * 36 + k] + ob, mb));
      }
      winograd4::bt6(col, out);
#pragma GCC unroll 6
      for (int i = 0; i < 6; ++i) t[i * 6 + q] = out[i];
    }
    float* dst = v + 8 * j;
#pragma GCC unroll 6
    for (int i = 0; i < 6; ++i) {  // rows: V = t B
      Y8 out[6];
      winograd4::bt6(t + i * 6, out);
#pragma GCC unroll 6
      for (int q = 0; q < 6; ++q) _mm256_store_ps(dst + (i * 6 + q) * ldv, out[q].v);
    }
  }
}

}  // namespace fastconv
