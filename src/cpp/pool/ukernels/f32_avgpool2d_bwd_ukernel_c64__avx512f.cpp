// Average-pool backward for one window, 64 channels (4 zmm) at a time: g = dy * scale is formed
// once per channel block, then every real cell gets g (stored, or added when accumulating); the
// channel tail is masked. Contract: pool/ukernel.h (AvgPoolBwdFn).
#include <immintrin.h>

#include "pool/ukernel.h"

namespace fastconv {
namespace {

inline __mmask16 lanes(size_t left) {
  return left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1);
}

template <int NV>
inline void spread_block(size_t rh, size_t rw, const float* dy, __m512 scale, float* dx,
                         size_t row_stride, size_t col_stride, bool accumulate, size_t left) {
  __mmask16 m[NV];
  __m512 g[NV];
  for (int v = 0; v < NV; ++v) {
    m[v] = lanes(left - 16 * v);
    g[v] = _mm512_mul_ps(_mm512_maskz_loadu_ps(m[v], dy + 16 * v), scale);
  }
  for (size_t i = 0; i < rh; ++i)
    for (size_t j = 0; j < rw; ++j) {
      float* cell = dx + i * row_stride + j * col_stride;
      if (accumulate) {
        for (int v = 0; v < NV; ++v)
          _mm512_mask_storeu_ps(cell + 16 * v, m[v],
                                _mm512_add_ps(_mm512_maskz_loadu_ps(m[v], cell + 16 * v), g[v]));
      } else {
        for (int v = 0; v < NV; ++v) _mm512_mask_storeu_ps(cell + 16 * v, m[v], g[v]);
      }
    }
}

}  // namespace

void f32_avgpool2d_bwd_ukernel_c64__avx512f(size_t c, size_t rh, size_t rw, const float* dy,
                                            float scale, float* dx, size_t row_stride,
                                            size_t col_stride, bool accumulate) {
  const __m512 vs = _mm512_set1_ps(scale);
  for (size_t k = 0; k < c; k += 64) {
    const size_t left = c - k;
    float* d = dx + k;
    if (left > 48) spread_block<4>(rh, rw, dy + k, vs, d, row_stride, col_stride, accumulate, left);
    else if (left > 32) spread_block<3>(rh, rw, dy + k, vs, d, row_stride, col_stride, accumulate, left);
    else if (left > 16) spread_block<2>(rh, rw, dy + k, vs, d, row_stride, col_stride, accumulate, left);
    else spread_block<1>(rh, rw, dy + k, vs, d, row_stride, col_stride, accumulate, left);
  }
}

}  // namespace fastconv
