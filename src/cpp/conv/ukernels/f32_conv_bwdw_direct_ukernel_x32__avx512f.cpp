// f32_conv_bwdw_direct_ukernel_x32__avx512f. Contract: conv/conv_ukernel.h.
// Per pixel: one or two dy vectors (V = 2 for n > 16), ntaps broadcasts from the padded image
// and V*ntaps FMAs (+ V adds for db) into up to 9*2 + 2 = 20 zmm accumulators, which hold
// their sums over all the call's pixels: dw and db are touched once per call. The sums are
// independent chains (V*ntaps of them), so one pixel in flight covers the FMA latency.
#include <immintrin.h>

#include "conv/conv_ukernel.h"

namespace fastconv {
namespace {

template <int T, int V, bool DB>
void panel(int64_t nrows, int64_t npix, const float* x, int64_t xrs, int64_t xs,
           const int64_t* tap_off, const float* dy, int64_t ldy, float* dw, int64_t ldw,
           float* db, int n) {
  const __mmask16 m0 = n >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1);
  const __mmask16 m1 = n >= 32 ? __mmask16(0xFFFF) : n <= 16 ? __mmask16(0)
                                                             : __mmask16((1u << (n - 16)) - 1);
  int64_t off[T];
#pragma GCC unroll 9
  for (int t = 0; t < T; ++t) off[t] = tap_off[t];
  __m512 acc[T][V], s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
#pragma GCC unroll 9
  for (int t = 0; t < T; ++t)
    for (int v = 0; v < V; ++v) acc[t][v] = _mm512_setzero_ps();
  for (int64_t r = 0; r < nrows; ++r, x += xrs) {
    const float* xi = x;
    for (int64_t i = 0; i < npix; ++i, xi += xs, dy += ldy) {
      const __m512 d0 = _mm512_maskz_loadu_ps(m0, dy);
      const __m512 d1 = V == 2 ? _mm512_maskz_loadu_ps(m1, dy + 16) : d0;
#pragma GCC unroll 9
      for (int t = 0; t < T; ++t) {
        const __m512 a = _mm512_set1_ps(xi[off[t]]);
        acc[t][0] = _mm512_fmadd_ps(a, d0, acc[t][0]);
        if (V == 2) acc[t][V - 1] = _mm512_fmadd_ps(a, d1, acc[t][V - 1]);
      }
      if (DB) {
        s0 = _mm512_add_ps(s0, d0);
        if (V == 2) s1 = _mm512_add_ps(s1, d1);
      }
    }
  }
#pragma GCC unroll 9
  for (int t = 0; t < T; ++t) {
    float* row = dw + t * ldw;
    _mm512_mask_storeu_ps(row, m0, _mm512_add_ps(_mm512_maskz_loadu_ps(m0, row), acc[t][0]));
    if (V == 2)
      _mm512_mask_storeu_ps(row + 16, m1,
                            _mm512_add_ps(_mm512_maskz_loadu_ps(m1, row + 16), acc[t][V - 1]));
  }
  if (DB) {
    _mm512_mask_storeu_ps(db, m0, _mm512_add_ps(_mm512_maskz_loadu_ps(m0, db), s0));
    if (V == 2)
      _mm512_mask_storeu_ps(db + 16, m1, _mm512_add_ps(_mm512_maskz_loadu_ps(m1, db + 16), s1));
  }
}

template <int T>
void panel_t(int64_t nrows, int64_t npix, const float* x, int64_t xrs, int64_t xs,
             const int64_t* tap_off, const float* dy, int64_t ldy, float* dw, int64_t ldw,
             float* db, int n) {
  if (n > 16) {
    if (db) panel<T, 2, true>(nrows, npix, x, xrs, xs, tap_off, dy, ldy, dw, ldw, db, n);
    else panel<T, 2, false>(nrows, npix, x, xrs, xs, tap_off, dy, ldy, dw, ldw, db, n);
  } else {
    if (db) panel<T, 1, true>(nrows, npix, x, xrs, xs, tap_off, dy, ldy, dw, ldw, db, n);
    else panel<T, 1, false>(nrows, npix, x, xrs, xs, tap_off, dy, ldy, dw, ldw, db, n);
  }
}

}  // namespace

void f32_conv_bwdw_direct_ukernel_x32__avx512f(int64_t nrows, int64_t npix, const float* x,
                                               int64_t xrs, int64_t xs, const int64_t* tap_off,
                                               int ntaps, const float* dy, int64_t ldy,
                                               float* dw, int64_t ldw, float* db, int n) {
  switch (ntaps) {
    case 1: return panel_t<1>(nrows, npix, x, xrs, xs, tap_off, dy, ldy, dw, ldw, db, n);
    case 2: return panel_t<2>(nrows, npix, x, xrs, xs, tap_off, dy, ldy, dw, ldw, db, n);
    case 3: return panel_t<3>(nrows, npix, x, xrs, xs, tap_off, dy, ldy, dw, ldw, db, n);
    case 4: return panel_t<4>(nrows, npix, x, xrs, xs, tap_off, dy, ldy, dw, ldw, db, n);
    case 5: return panel_t<5>(nrows, npix, x, xrs, xs, tap_off, dy, ldy, dw, ldw, db, n);
    case 6: return panel_t<6>(nrows, npix, x, xrs, xs, tap_off, dy, ldy, dw, ldw, db, n);
    case 7: return panel_t<7>(nrows, npix, x, xrs, xs, tap_off, dy, ldy, dw, ldw, db, n);
    case 8: return panel_t<8>(nrows, npix, x, xrs, xs, tap_off, dy, ldy, dw, ldw, db, n);
    default: return panel_t<9>(nrows, npix, x, xrs, xs, tap_off, dy, ldy, dw, ldw, db, n);
  }
}

}  // namespace fastconv
