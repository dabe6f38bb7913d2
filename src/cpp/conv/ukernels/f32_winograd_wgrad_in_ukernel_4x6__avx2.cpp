// f32_winograd_wgrad_in_ukernel_4x6__avx2: the F(2x2, 3x3) input transform V = B^T d B of 4
// tiles for one 6-channel GEMM micro-panel (the 6x16 microkernel's A side), written as the
// panel's 4 x 6 = 24 contiguous floats per position: 3 aligned ymm stores instead of 4
// maskstores of 6 lanes (slow, and half across a cache line). Each vector gathers its lanes
// from two tiles with two maskloads (lanes past the panel's c channels load as zero, so the
// padding rows come out zero); the two halves are disjoint, so OR joins them exactly.
// Contract: conv/winograd_wgrad_ukernel.h (same per-lane operation order as the scalar
// input transform).
#include <immintrin.h>

#include "conv/winograd_panel_avx2.h"
#include "conv/winograd_wgrad_ukernel.h"

namespace fastconv {

void f32_winograd_wgrad_in_ukernel_4x6__avx2(const float* const* d, int64_t c0, int64_t c,
                                             float* v, int64_t ldv) {
  for (int j = 0; j < 3; ++j) {  // the panel's 3 vectors (conv/winograd_panel_avx2.h)
    const int ta = j, tb = j + 1;
    const Panel4x6Lanes lanes = panel4x6_lanes(j, c0, c);
    __m256 t[4][4];
#pragma GCC unroll 4
    for (int q = 0; q < 4; ++q) {
      __m256 dv[4];
#pragma GCC unroll 4
      for (int r = 0; r < 4; ++r) {
        const int k = r * 4 + q;
        dv[r] = panel4x6_load(d[ta * 16 + k], d[tb * 16 + k], lanes);
      }
      t[0][q] = _mm256_sub_ps(dv[0], dv[2]);
      t[1][q] = _mm256_add_ps(dv[1], dv[2]);
      t[2][q] = _mm256_sub_ps(dv[2], dv[1]);
      t[3][q] = _mm256_sub_ps(dv[1], dv[3]);
    }
    float* out = v + 8 * j;
#pragma GCC unroll 4
    for (int r = 0; r < 4; ++r) {
      _mm256_store_ps(out + (r * 4 + 0) * ldv, _mm256_sub_ps(t[r][0], t[r][2]));
      _mm256_store_ps(out + (r * 4 + 1) * ldv, _mm256_add_ps(t[r][1], t[r][2]));
      _mm256_store_ps(out + (r * 4 + 2) * ldv, _mm256_sub_ps(t[r][2], t[r][1]));
      _mm256_store_ps(out + (r * 4 + 3) * ldv, _mm256_sub_ps(t[r][1], t[r][3]));
    }
  }
}

}  // namespace fastconv
