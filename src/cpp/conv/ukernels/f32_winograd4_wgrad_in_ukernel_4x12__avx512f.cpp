// f32_winograd4_wgrad_in_ukernel_4x12__avx512f: the F(4x4, 3x3) input transform V = B^T d B
// (conv/winograd4_math.h) of 4 tiles for one 12-channel GEMM micro-panel (the 12x32
// microkernel's A side in the F(3x3, 4x4) weight gradient), written as the panel's 4 x 12 = 48
// contiguous floats per position: 3 aligned full stores instead of 4 masked 12-lane stores.
// Each vector gathers its lanes from two tiles with two masked loads (lanes past the panel's c
// channels load as zero), as in f32_winograd_wgrad_in_ukernel_4x12__avx512f. Contract:
// conv/winograd_wgrad_ukernel.h (input4 with 36 patch pointers per tile; the expressions of
// the F(4x4, 3x3) input kernels).
#include <immintrin.h>

#include <algorithm>

#include "conv/winograd4_avx512.h"
#include "conv/winograd4_math.h"
#include "conv/winograd_wgrad_ukernel.h"

namespace fastconv {
namespace {

using winograd4::Z;

// Lanes [0, n) set, n clamped to [0, 16].
inline __mmask16 low_lanes(int64_t n) {
  return n <= 0 ? 0 : n >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << n) - 1u);
}

}  // namespace

void f32_winograd4_wgrad_in_ukernel_4x12__avx512f(const float* const* d, int64_t c0, int64_t c,
                                                  float* v, int64_t ldv) {
  // vector 0: tile 0 ch 0-11 | tile 1 ch 0-3;  vector 1: tile 1 ch 4-11 | tile 2 ch 0-7;
  // vector 2: tile 2 ch 8-11 | tile 3 ch 0-11.
  const int a[3] = {12, 8, 4};
  const int64_t first_ch[3] = {0, 4, 8};
  for (int j = 0; j < 3; ++j) {
    const int ta = j, tb = j + 1;
    const __mmask16 ma = low_lanes(std::min<int64_t>(a[j], c - first_ch[j]));
    const __mmask16 mb = static_cast<__mmask16>(low_lanes(std::min<int64_t>(16 - a[j], c)) << a[j]);
    const int64_t oa = c0 + first_ch[j], ob = c0 - a[j];
    Z t[36];
#pragma GCC unroll 6
    for (int q = 0; q < 6; ++q) {  // columns: t = B^T d
      Z col[6], out[6];
#pragma GCC unroll 6
      for (int r = 0; r < 6; ++r) {
        const int k = r * 6 + q;
        col[r].v = _mm512_mask_loadu_ps(_mm512_maskz_loadu_ps(ma, d[ta * 36 + k] + oa), mb,
                                        d[tb * 36 + k] + ob);
      }
      winograd4::bt6(col, out);
#pragma GCC unroll 6
      for (int i = 0; i < 6; ++i) t[i * 6 + q] = out[i];
    }
    float* dst = v + 16 * j;
#pragma GCC unroll 6
    for (int i = 0; i < 6; ++i) {  // rows: V = t B
      Z out[6];
      winograd4::bt6(t + i * 6, out);
#pragma GCC unroll 6
      for (int q = 0; q < 6; ++q) _mm512_store_ps(dst + (i * 6 + q) * ldv, out[q].v);
    }
  }
}

}  // namespace fastconv
