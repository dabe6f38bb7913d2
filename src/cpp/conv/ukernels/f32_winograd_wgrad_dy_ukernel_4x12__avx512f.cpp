// f32_winograd_wgrad_dy_ukernel_4x12__avx512f: the F(3x3, 2x2) dy transform E = A e A^T of 4
// tiles for one 12-filter GEMM micro-panel (the 12x32 microkernel's A side, when F takes the
// rows), written as the panel's 4 x 12 = 48 contiguous floats per position: 3 aligned full
// stores instead of 4 masked 12-lane stores. Each vector gathers its lanes from two tiles with
// two masked loads (lanes past the panel's f filters load as zero). Contract:
// conv/winograd_wgrad_ukernel.h (the same per-lane operation order as the scalar dy kernel).
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

void f32_winograd_wgrad_dy_ukernel_4x12__avx512f(const float* const* e, int64_t f0, int64_t f,
                                                 float* out, int64_t ldo) {
  // Lane layout as in f32_winograd_wgrad_in_ukernel_4x12__avx512f.
  const int a[3] = {12, 8, 4};
  const int first_tile[3] = {0, 1, 2};
  const int64_t first_f[3] = {0, 4, 8};
  for (int j = 0; j < 3; ++j) {
    const int ta = first_tile[j], tb = ta + 1;
    const __mmask16 ma = low_lanes(std::min<int64_t>(a[j], f - first_f[j]));
    const __mmask16 mb = static_cast<__mmask16>(low_lanes(std::min<int64_t>(16 - a[j], f)) << a[j]);
    const int64_t oa = f0 + first_f[j], ob = f0 - a[j];
    __m512 ev[4];
#pragma GCC unroll 4
    for (int k = 0; k < 4; ++k)
      ev[k] = _mm512_mask_loadu_ps(_mm512_maskz_loadu_ps(ma, e[ta * 4 + k] + oa), mb,
                                   e[tb * 4 + k] + ob);
    const __m512 s0[4] = {ev[0], _mm512_add_ps(ev[0], ev[2]), _mm512_sub_ps(ev[0], ev[2]), ev[2]};
    const __m512 s1[4] = {ev[1], _mm512_add_ps(ev[1], ev[3]), _mm512_sub_ps(ev[1], ev[3]), ev[3]};
    float* o = out + 16 * j;
#pragma GCC unroll 4
    for (int r = 0; r < 4; ++r) {
      _mm512_store_ps(o + (r * 4 + 0) * ldo, s0[r]);
      _mm512_store_ps(o + (r * 4 + 1) * ldo, _mm512_add_ps(s0[r], s1[r]));
      _mm512_store_ps(o + (r * 4 + 2) * ldo, _mm512_sub_ps(s0[r], s1[r]));
      _mm512_store_ps(o + (r * 4 + 3) * ldo, s1[r]);
    }
  }
}

}  // namespace fastconv
