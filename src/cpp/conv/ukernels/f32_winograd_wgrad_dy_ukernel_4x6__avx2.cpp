// f32_winograd_wgrad_dy_ukernel_4x6__avx2: the F(3x3, 2x2) dy transform E = A e A^T of 4 tiles
// for one 6-filter GEMM micro-panel (the 6x16 microkernel's A side, when F takes the rows),
// written as the panel's 4 x 6 = 24 contiguous floats per position: 3 aligned ymm stores. Lanes
// gathered from two tiles by maskloads as in f32_winograd_wgrad_in_ukernel_4x6__avx2.
// Contract: conv/winograd_wgrad_ukernel.h (same per-lane operation order as the scalar kernel).
#include <immintrin.h>

#include "conv/winograd_panel_avx2.h"
#include "conv/winograd_wgrad_ukernel.h"

namespace fastconv {

void f32_winograd_wgrad_dy_ukernel_4x6__avx2(const float* const* e, int64_t f0, int64_t f,
                                             float* out, int64_t ldo) {
  for (int j = 0; j < 3; ++j) {  // the panel's 3 vectors (conv/winograd_panel_avx2.h)
    const int ta = j, tb = j + 1;
    const Panel4x6Lanes lanes = panel4x6_lanes(j, f0, f);
    __m256 ev[4];
#pragma GCC unroll 4
    for (int k = 0; k < 4; ++k)
      ev[k] = panel4x6_load(e[ta * 4 + k], e[tb * 4 + k], lanes);
    const __m256 s0[4] = {ev[0], _mm256_add_ps(ev[0], ev[2]), _mm256_sub_ps(ev[0], ev[2]), ev[2]};
    const __m256 s1[4] = {ev[1], _mm256_add_ps(ev[1], ev[3]), _mm256_sub_ps(ev[1], ev[3]), ev[3]};
    float* o = out + 8 * j;
#pragma GCC unroll 4
    for (int r = 0; r < 4; ++r) {
      _mm256_store_ps(o + (r * 4 + 0) * ldo, s0[r]);
      _mm256_store_ps(o + (r * 4 + 1) * ldo, _mm256_add_ps(s0[r], s1[r]));
      _mm256_store_ps(o + (r * 4 + 2) * ldo, _mm256_sub_ps(s0[r], s1[r]));
      _mm256_store_ps(o + (r * 4 + 3) * ldo, s1[r]);
    }
  }
}

}  // namespace fastconv
