// f32_conv_igemm_ukernel_12x32__avx512f. Contract: conv/conv_ukernel.h.
// 24 zmm accumulators (12 rows x 2 vectors of 16) + 2 weight vectors; the broadcasts are
// folded into the FMAs' memory operands. Edge tiles (n < 32) store with lane masks; tiles of
// fewer pixels run a shorter variant. The weight panel's rows are params.ldw floats apart when
// set (the caller's unpacked kernel), else 32 (packed).
#include <immintrin.h>

#include "conv/conv_ukernel.h"

namespace fastconv {
namespace {

inline __m512 finish(__m512 v, const float* bias, __mmask16 mask, bool relu) {
  if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, bias));
  if (relu) v = _mm512_max_ps(_mm512_setzero_ps(), v);  // NaN passes through
  return v;
}

// The tile with R of the 12 rows computed (R >= m): a last tile of 1 or 4 pixels (a 7x7 map
// at batch 1 is 4 full tiles and 1 pixel) costs what its rows need, not 12 rows' worth.
// kInPlace: weight rows p.ldw floats apart; otherwise packed, 32 apart as a constant (the 12
// row pointers, w and k already use the general registers; a stride in a variable spills).
template <int R, bool kInPlace>
void tile(int64_t ntaps, int64_t c, const float* const* a, const float* w, float* y,
          int64_t ldy, int m, int n, const UkernelParams& p) {
  constexpr int MR = 12;  // the pointer table's stride
  const int64_t ws = kInPlace ? p.ldw : 32;
  __m512 acc[R][2];
#pragma GCC unroll 12
  for (int i = 0; i < R; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();

  for (int64_t t = 0; t < ntaps; ++t, a += MR) {
    const float* ap[R];
#pragma GCC unroll 12
    for (int i = 0; i < R; ++i) ap[i] = a[i];
    for (int64_t k = 0; k < c; ++k, w += ws) {
      const __m512 w0 = _mm512_loadu_ps(w);
      const __m512 w1 = _mm512_loadu_ps(w + 16);
#pragma GCC unroll 12
      for (int i = 0; i < R; ++i) {
        const __m512 ai = _mm512_set1_ps(ap[i][k]);
        acc[i][0] = _mm512_fmadd_ps(ai, w0, acc[i][0]);
        acc[i][1] = _mm512_fmadd_ps(ai, w1, acc[i][1]);
      }
    }
  }

  const __mmask16 mask0 = static_cast<__mmask16>(n >= 16 ? 0xFFFF : (1u << n) - 1u);
  const __mmask16 mask1 =
      static_cast<__mmask16>(n >= 32 ? 0xFFFF : (n <= 16 ? 0u : (1u << (n - 16)) - 1u));
  const float* bias1 = p.bias ? p.bias + 16 : nullptr;
#pragma GCC unroll 12
  for (int i = 0; i < R; ++i) {
    if (i < m) {
      float* yi = y + i * ldy;
      _mm512_mask_storeu_ps(yi, mask0, finish(acc[i][0], p.bias, mask0, p.relu));
      if (mask1) _mm512_mask_storeu_ps(yi + 16, mask1, finish(acc[i][1], bias1, mask1, p.relu));
    }
  }
}

}  // namespace

void f32_conv_igemm_ukernel_12x32__avx512f(int64_t ntaps, int64_t c, const float* const* a,
                                           const float* w, float* y, int64_t ldy, int m, int n,
                                           const UkernelParams& p) {
  if (p.ldw != 0) {
    if (m > 8) tile<12, true>(ntaps, c, a, w, y, ldy, m, n, p);
    else if (m > 4) tile<8, true>(ntaps, c, a, w, y, ldy, m, n, p);
    else if (m > 2) tile<4, true>(ntaps, c, a, w, y, ldy, m, n, p);
    else if (m == 2) tile<2, true>(ntaps, c, a, w, y, ldy, m, n, p);
    else tile<1, true>(ntaps, c, a, w, y, ldy, m, n, p);
    return;
  }
  if (m > 8) tile<12, false>(ntaps, c, a, w, y, ldy, m, n, p);
  else if (m > 4) tile<8, false>(ntaps, c, a, w, y, ldy, m, n, p);
  else if (m > 2) tile<4, false>(ntaps, c, a, w, y, ldy, m, n, p);
  else if (m == 2) tile<2, false>(ntaps, c, a, w, y, ldy, m, n, p);
  else tile<1, false>(ntaps, c, a, w, y, ldy, m, n, p);
}

}  // namespace fastconv
