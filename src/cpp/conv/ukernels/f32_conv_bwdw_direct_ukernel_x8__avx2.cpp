// f32_conv_bwdw_direct_ukernel_x8__avx2. Contract: conv/conv_ukernel.h.
// Per pixel: one dy vector of 8 columns, ntaps broadcasts from the padded image and ntaps FMAs
// (+ one add for db) into up to 9 + 1 ymm accumulators that hold their sums over all the call's
// pixels. 16 columns would need 20 accumulators, more than AVX2's 16 registers.
#include <immintrin.h>

#include "conv/conv_ukernel.h"

namespace fastconv {
namespace {

inline __m256i lane_mask(int n) {  // lanes < n set
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), idx);
}

template <int T, bool DB>
void panel(int64_t nrows, int64_t npix, const float* x, int64_t xrs, int64_t xs,
           const int64_t* tap_off, const float* dy, int64_t ldy, float* dw, int64_t ldw,
           float* db, int n) {
  const __m256i mask = lane_mask(n);
  int64_t off[T];
#pragma GCC unroll 9
  for (int t = 0; t < T; ++t) off[t] = tap_off[t];
  __m256 acc[T], s = _mm256_setzero_ps();
#pragma GCC unroll 9
  for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  for (int64_t r = 0; r < nrows; ++r, x += xrs) {
    const float* xi = x;
    for (int64_t i = 0; i < npix; ++i, xi += xs, dy += ldy) {
      const __m256 d = _mm256_maskload_ps(dy, mask);
#pragma GCC unroll 9
      for (int t = 0; t < T; ++t)
        acc[t] = _mm256_fmadd_ps(_mm256_broadcast_ss(xi + off[t]), d, acc[t]);
      if (DB) s = _mm256_add_ps(s, d);
    }
  }
#pragma GCC unroll 9
  for (int t = 0; t < T; ++t) {
    float* row = dw + t * ldw;
    _mm256_maskstore_ps(row, mask, _mm256_add_ps(_mm256_maskload_ps(row, mask), acc[t]));
  }
  if (DB) _mm256_maskstore_ps(db, mask, _mm256_add_ps(_mm256_maskload_ps(db, mask), s));
}

template <int T>
void panel_t(int64_t nrows, int64_t npix, const float* x, int64_t xrs, int64_t xs,
             const int64_t* tap_off, const float* dy, int64_t ldy, float* dw, int64_t ldw,
             float* db, int n) {
  if (db) panel<T, true>(nrows, npix, x, xrs, xs, tap_off, dy, ldy, dw, ldw, db, n);
  else panel<T, false>(nrows, npix, x, xrs, xs, tap_off, dy, ldy, dw, ldw, db, n);
}

}  // namespace

void f32_conv_bwdw_direct_ukernel_x8__avx2(int64_t nrows, int64_t npix, const float* x,
                                           int64_t xrs, int64_t xs, const int64_t* tap_off,
                                           int ntaps, const float* dy, int64_t ldy, float* dw,
                                           int64_t ldw, float* db, int n) {
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
