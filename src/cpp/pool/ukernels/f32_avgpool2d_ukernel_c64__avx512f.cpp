// Average over a clipped window, 64 channels (4 zmm accumulators) per pass over the window cells,
// the channel tail masked: row-major sum, then one multiply by scale (1 / number of real cells),
// as the scalar kernel. Contract: pool/ukernel.h (AvgPoolFn).
#include <immintrin.h>

#include "pool/ukernel.h"

namespace fastconv {
namespace {

inline __mmask16 lanes(size_t left) {
  return left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1);
}

template <int NV>
inline void avg_block(size_t rh, size_t rw, const float* x, size_t row_stride, size_t col_stride,
                      __m512 scale, float* y, size_t left) {
  __mmask16 m[NV];
  __m512 s[NV];
  for (int v = 0; v < NV; ++v) m[v] = lanes(left - 16 * v), s[v] = _mm512_setzero_ps();
  for (size_t i = 0; i < rh; ++i)
    for (size_t j = 0; j < rw; ++j) {
      const float* cell = x + i * row_stride + j * col_stride;
      for (int v = 0; v < NV; ++v)
        s[v] = _mm512_add_ps(s[v], _mm512_maskz_loadu_ps(m[v], cell + 16 * v));
    }
  for (int v = 0; v < NV; ++v) _mm512_mask_storeu_ps(y + 16 * v, m[v], _mm512_mul_ps(s[v], scale));
}

}  // namespace

void f32_avgpool2d_ukernel_c64__avx512f(size_t c, size_t rh, size_t rw, const float* x,
                                        size_t row_stride, size_t col_stride, float scale,
                                        float* y) {
  const __m512 vs = _mm512_set1_ps(scale);
  for (size_t k = 0; k < c; k += 64) {
    const size_t left = c - k;
    if (left > 48) avg_block<4>(rh, rw, x + k, row_stride, col_stride, vs, y + k, left);
    else if (left > 32) avg_block<3>(rh, rw, x + k, row_stride, col_stride, vs, y + k, left);
    else if (left > 16) avg_block<2>(rh, rw, x + k, row_stride, col_stride, vs, y + k, left);
    else avg_block<1>(rh, rw, x + k, row_stride, col_stride, vs, y + k, left);
  }
}

}  // namespace fastconv
