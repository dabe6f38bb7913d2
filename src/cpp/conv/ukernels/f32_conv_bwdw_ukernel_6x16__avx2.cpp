// f32_conv_bwdw_ukernel_6x16__avx2. Contract: conv/conv_ukernel.h.
// Up to 12 ymm accumulators (kr rows x 2 vectors of 8) + 2 dy vectors. Edge columns (n < 16)
// load dy through a lane mask, so columns >= n are never read and contribute zero.
#include <immintrin.h>

#include "conv/conv_ukernel.h"

namespace fastconv {
namespace {

inline __m256i lane_mask(int n) {  // lanes < n set
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), idx);
}

template <int KR>
void tile(int64_t npix, const float* const* a, int64_t a_off, const float* dy, int64_t ldy, float* dw,
          int64_t ldw, int n) {
  const __m256i m0 = lane_mask(n), m1 = lane_mask(n - 8);
  __m256 acc[KR][2];
#pragma GCC unroll 6
  for (int k = 0; k < KR; ++k) acc[k][0] = acc[k][1] = _mm256_setzero_ps();
  for (int64_t p = 0; p < npix; ++p, dy += ldy) {
    const float* ap = a[p] + a_off;
    const __m256 d0 = _mm256_maskload_ps(dy, m0);
    const __m256 d1 = _mm256_maskload_ps(dy + 8, m1);
#pragma GCC unroll 6
    for (int k = 0; k < KR; ++k) {
      const __m256 ak = _mm256_broadcast_ss(ap + k);
      acc[k][0] = _mm256_fmadd_ps(ak, d0, acc[k][0]);
      acc[k][1] = _mm256_fmadd_ps(ak, d1, acc[k][1]);
    }
  }
#pragma GCC unroll 6
  for (int k = 0; k < KR; ++k) {
    float* row = dw + k * ldw;
    _mm256_maskstore_ps(row, m0, _mm256_add_ps(_mm256_maskload_ps(row, m0), acc[k][0]));
    _mm256_maskstore_ps(row + 8, m1, _mm256_add_ps(_mm256_maskload_ps(row + 8, m1), acc[k][1]));
  }
}

}  // namespace

void f32_conv_bwdw_ukernel_6x16__avx2(int64_t npix, const float* const* a, int64_t a_off,
                                      const float* dy, int64_t ldy, float* dw, int64_t ldw,
                                      int kr, int n) {
  switch (kr) {
    case 1: return tile<1>(npix, a, a_off, dy, ldy, dw, ldw, n);
    case 2: return tile<2>(npix, a, a_off, dy, ldy, dw, ldw, n);
    case 3: return tile<3>(npix, a, a_off, dy, ldy, dw, ldw, n);
    case 4: return tile<4>(npix, a, a_off, dy, ldy, dw, ldw, n);
    case 5: return tile<5>(npix, a, a_off, dy, ldy, dw, ldw, n);
    default: return tile<6>(npix, a, a_off, dy, ldy, dw, ldw, n);
  }
}

}  // namespace fastconv
