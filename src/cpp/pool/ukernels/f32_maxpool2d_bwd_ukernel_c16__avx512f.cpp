// Max-pool backward for one window, 16 channels per zmm. Pass 1 finds the per-lane maximum;
// pass 2 walks the window again in row-major order and hands dy to the FIRST cell equal to it
// (a `taken` mask retires lanes once served), which is the first-max tie rule without keeping
// per-lane indices and without a scatter. Contract: pool/ukernel.h (MaxPoolBwdFn).
#include <immintrin.h>

#include "pool/ukernel.h"

namespace fastconv {

void f32_maxpool2d_bwd_ukernel_c16__avx512f(size_t c, size_t rh, size_t rw, const float* x,
                                            size_t row_stride, size_t col_stride,
                                            const float* dy, float* dx, bool accumulate, bool relu_mask) {
  for (size_t k = 0; k < c; k += 16) {
    const __mmask16 m = c - k >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (c - k)) - 1);
    const float* xb = x + k;
    float* db = dx + k;
    __m512 best = _mm512_maskz_loadu_ps(m, xb);
    for (size_t i = 0; i < rh; ++i)
      for (size_t j = (i == 0 ? 1 : 0); j < rw; ++j)
        best = _mm512_max_ps(best, _mm512_maskz_loadu_ps(m, xb + i * row_stride + j * col_stride));
    const __mmask16 pass =
        relu_mask ? _mm512_mask_cmp_ps_mask(m, best, _mm512_setzero_ps(), _CMP_GT_OQ) : m;
    const __m512 g = _mm512_maskz_loadu_ps(pass, dy + k);
    __mmask16 open = m;  // lanes whose arg-max has not been met yet
    for (size_t i = 0; i < rh; ++i) {
      for (size_t j = 0; j < rw; ++j) {
        const size_t off = i * row_stride + j * col_stride;
        const __m512 v = _mm512_maskz_loadu_ps(m, xb + off);
        const __mmask16 hit = _mm512_mask_cmp_ps_mask(open, v, best, _CMP_EQ_OQ);
        open &= static_cast<__mmask16>(~hit);
        if (accumulate) {
          if (hit) {
            const __m512 d = _mm512_maskz_loadu_ps(hit, db + off);
            _mm512_mask_storeu_ps(db + off, hit, _mm512_add_ps(d, g));
          }
        } else {
          _mm512_mask_storeu_ps(db + off, m, _mm512_maskz_mov_ps(hit, g));
        }
      }
    }
  }
}

}  // namespace fastconv
