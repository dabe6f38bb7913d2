// f32_winograd4_wgrad_in_ukernel_4x6__avx2: the F(4x4, 3x3) input transform V = B^T d B
// (conv/winograd4_math.h) of 4 tiles for one 6-channel GEMM micro-panel (the 6x16 microkernel's
// A side in the F(3x3, 4x4) weight gradient), written as the panel's 4 x 6 = 24 contiguous
// floats per position: 3 aligned ymm stores instead of 4 maskstores of 6 lanes. Each vector
// gathers its lanes from two tiles (conv/winograd_panel_avx2.h), as in
// f32_winograd_wgrad_in_ukernel_4x6__avx2. Contract: conv/winograd_wgrad_ukernel.h (input4
// with 36 patch pointers per tile; the expressions of the F(4x4, 3x3) input kernels).
#include <immintrin.h>

#include "conv/winograd4_avx2.h"
#include "conv/winograd4_math.h"
#include "conv/winograd_panel_avx2.h"
#include "conv/winograd_wgrad_ukernel.h"

namespace fastconv {

void f32_winograd4_wgrad_in_ukernel_4x6__avx2(const float* const* d, int64_t c0, int64_t c,
                                              float* v, int64_t ldv) {
  using winograd4::Y8;
  for (int j = 0; j < 3; ++j) {  // the panel's 3 vectors (conv/winograd_panel_avx2.h)
    const int ta = j, tb = j + 1;
    const Panel4x6Lanes lanes = panel4x6_lanes(j, c0, c);
    Y8 t[36];
#pragma GCC unroll 6
    for (int q = 0; q < 6; ++q) {  // columns: t = B^T d
      Y8 col[6], out[6];
#pragma GCC unroll 6
      for (int r = 0; r < 6; ++r) {
        const int k = r * 6 + q;
        col[r].v = panel4x6_load(d[ta * 36 + k], d[tb * 36 + k], lanes);
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
