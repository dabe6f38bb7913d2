// f32_conv_bwdw_ukernel_12x32__avx512f. Contract: conv/conv_ukernel.h.
// Up to 24 zmm accumulators (kr rows x 2 vectors of 16 filters): per pixel two dy loads and kr
// broadcasts of the im2col row feed 2*kr FMAs. kr is a template parameter so the accumulators
// stay in registers for every row count (a 3x3 single-channel layer has kr = 9); full 32-column
// tiles load dy without masks.
#include <immintrin.h>

#include "conv/conv_ukernel.h"

namespace fastconv {
namespace {

template <int KR, bool FULL>
void tile(int64_t npix, const float* const* a, int64_t a_off, const float* dy, int64_t ldy,
          float* dw, int64_t ldw, int n) {
  const __mmask16 m0 = n >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1);
  const __mmask16 m1 = n >= 32 ? __mmask16(0xFFFF) : n <= 16 ? __mmask16(0)
                                                             : __mmask16((1u << (n - 16)) - 1);
  __m512 acc[KR][2];
#pragma GCC unroll 12
  for (int k = 0; k < KR; ++k) acc[k][0] = acc[k][1] = _mm512_setzero_ps();
  for (int64_t p = 0; p < npix; ++p, dy += ldy) {
    const float* ap = a[p] + a_off;
    // Keep ap as one base register: otherwise GCC folds a_off + k into kr index registers and
    // spills the loop's other state to the stack.
    __asm__("" : "+r"(ap));
    const __m512 d0 = FULL ? _mm512_loadu_ps(dy) : _mm512_maskz_loadu_ps(m0, dy);
    const __m512 d1 = FULL ? _mm512_loadu_ps(dy + 16) : _mm512_maskz_loadu_ps(m1, dy + 16);
#pragma GCC unroll 12
    for (int k = 0; k < KR; ++k) {
      const __m512 ak = _mm512_set1_ps(ap[k]);
      acc[k][0] = _mm512_fmadd_ps(ak, d0, acc[k][0]);
      acc[k][1] = _mm512_fmadd_ps(ak, d1, acc[k][1]);
    }
  }
#pragma GCC unroll 12
  for (int k = 0; k < KR; ++k) {
    float* row = dw + k * ldw;
    _mm512_mask_storeu_ps(row, m0, _mm512_add_ps(_mm512_maskz_loadu_ps(m0, row), acc[k][0]));
    _mm512_mask_storeu_ps(row + 16, m1,
                          _mm512_add_ps(_mm512_maskz_loadu_ps(m1, row + 16), acc[k][1]));
  }
}

template <int KR>
void tile_n(int64_t npix, const float* const* a, int64_t a_off, const float* dy, int64_t ldy,
            float* dw, int64_t ldw, int n) {
  if (n == 32)
    tile<KR, true>(npix, a, a_off, dy, ldy, dw, ldw, n);
  else
    tile<KR, false>(npix, a, a_off, dy, ldy, dw, ldw, n);
}

}  // namespace

void f32_conv_bwdw_ukernel_12x32__avx512f(int64_t npix, const float* const* a, int64_t a_off,
                                          const float* dy, int64_t ldy, float* dw, int64_t ldw,
                                          int kr, int n) {
  switch (kr) {
    case 1: return tile_n<1>(npix, a, a_off, dy, ldy, dw, ldw, n);
    case 2: return tile_n<2>(npix, a, a_off, dy, ldy, dw, ldw, n);
    case 3: return tile_n<3>(npix, a, a_off, dy, ldy, dw, ldw, n);
    case 4: return tile_n<4>(npix, a, a_off, dy, ldy, dw, ldw, n);
    case 5: return tile_n<5>(npix, a, a_off, dy, ldy, dw, ldw, n);
    case 6: return tile_n<6>(npix, a, a_off, dy, ldy, dw, ldw, n);
    case 7: return tile_n<7>(npix, a, a_off, dy, ldy, dw, ldw, n);
    case 8: return tile_n<8>(npix, a, a_off, dy, ldy, dw, ldw, n);
    case 9: return tile_n<9>(npix, a, a_off, dy, ldy, dw, ldw, n);
    case 10: return tile_n<10>(npix, a, a_off, dy, ldy, dw, ldw, n);
    case 11: return tile_n<11>(npix, a, a_off, dy, ldy, dw, ldw, n);
    default: return tile_n<12>(npix, a, a_off, dy, ldy, dw, ldw, n);
  }
}

}  // namespace fastconv
