// f32_winograd_wgrad_in_ukernel_4x12__avx512f: the F(2x2, 3x3) input transform V = B^T d B of
// 4 tiles for one 12-channel GEMM micro-panel (the 12x32 microkernel's A side), written as the
// panel's 4 x 12 = 48 contiguous floats per position: 3 aligned full stores instead of 4 masked
// 12-lane stores, half of which would cross a cache line. Each vector gathers its lanes from
// two tiles with two masked loads (lanes past the panel's c channels load as zero, so the
// panel's padding rows come out zero). Contract: conv/winograd_wgrad_ukernel.h (the same
// per-lane operation order as f32_winograd_in_ukernel_c1__scalar).
#include <immintrin.h>

#include <algorithm>

#include "conv/winograd_wgrad_ukernel.h"

namespace fastconv {
namespace {

// Lanes [0, n) set, n clamped to [0, 16].
inline __mmask16 low_lanes(int64_t n) {
  return n <= 0 ? 0 : n >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << n) - 1u);
}

}  // namespace

void f32_winograd_wgrad_in_ukernel_4x12__avx512f(const float* const* d, int64_t c0, int64_t c,
                                                 float* v, int64_t ldv) {
  // Vector j covers panel floats [16 j, 16 j + 16): tile (16 j + l) / 12, channel (16 j + l) % 12.
  // vector 0: tile 0 ch 0-11 | tile 1 ch 0-3;  vector 1: tile 1 ch 4-11 | tile 2 ch 0-7;
  // vector 2: tile 2 ch 8-11 | tile 3 ch 0-11. First part: lanes [0, a), second: [a, 16).
  const int a[3] = {12, 8, 4};
  const int first_tile[3] = {0, 1, 2};
  const int64_t first_ch[3] = {0, 4, 8};
  for (int j = 0; j < 3; ++j) {
    const int ta = first_tile[j], tb = ta + 1;
    const __mmask16 ma = low_lanes(std::min<int64_t>(a[j], c - first_ch[j]));
    const __mmask16 mb = static_cast<__mmask16>(low_lanes(std::min<int64_t>(16 - a[j], c)) << a[j]);
    // Lane l of the first part reads channel first_ch + l of tile ta, of the second part
    // channel l - a of tile tb.
    const int64_t oa = c0 + first_ch[j], ob = c0 - a[j];
    __m512 t[4][4];
#pragma GCC unroll 4
    for (int q = 0; q < 4; ++q) {
      __m512 dv[4];
#pragma GCC unroll 4
      for (int r = 0; r < 4; ++r) {
        const int k = r * 4 + q;
        dv[r] = _mm512_mask_loadu_ps(_mm512_maskz_loadu_ps(ma, d[ta * 16 + k] + oa), mb,
                                     d[tb * 16 + k] + ob);
      }
      t[0][q] = _mm512_sub_ps(dv[0], dv[2]);
      t[1][q] = _mm512_add_ps(dv[1], dv[2]);
      t[2][q] = _mm512_sub_ps(dv[2], dv[1]);
      t[3][q] = _mm512_sub_ps(dv[1], dv[3]);
    }
    float* out = v + 16 * j;
#pragma GCC unroll 4
    for (int r = 0; r < 4; ++r) {
      _mm512_store_ps(out + (r * 4 + 0) * ldv, _mm512_sub_ps(t[r][0], t[r][2]));
      _mm512_store_ps(out + (r * 4 + 1) * ldv, _mm512_add_ps(t[r][1], t[r][2]));
      _mm512_store_ps(out + (r * 4 + 2) * ldv, _mm512_sub_ps(t[r][2], t[r][1]));
      _mm512_store_ps(out + (r * 4 + 3) * ldv, _mm512_sub_ps(t[r][1], t[r][3]));
    }
  }
}

}  // namespace fastconv
