// Average over a clipped window, 32 channels (4 ymm accumulators) per pass over the window cells,
// maskload/maskstore for a partial last vector: row-major sum, then one multiply by scale
// (1 / number of real cells), as the scalar kernel. Contract: pool/ukernel.h (AvgPoolFn).
#include <immintrin.h>

#include "pool/ukernel.h"

namespace fastconv {
namespace {

inline __m256i lanes(size_t left) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(left < 8 ? left : 8)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

template <int NV, bool TAIL>
inline void avg_block(size_t rh, size_t rw, const float* x, size_t row_stride, size_t col_stride,
                      __m256 scale, float* y, size_t left) {
  const __m256i m = lanes(left - 8 * (NV - 1));
  __m256 s[NV];
  for (int v = 0; v < NV; ++v) s[v] = _mm256_setzero_ps();
  for (size_t i = 0; i < rh; ++i)
    for (size_t j = 0; j < rw; ++j) {
      const float* cell = x + i * row_stride + j * col_stride;
      for (int v = 0; v < NV; ++v) {
        const __m256 xv = (TAIL && v == NV - 1) ? _mm256_maskload_ps(cell + 8 * v, m)
                                                : _mm256_loadu_ps(cell + 8 * v);
        s[v] = _mm256_add_ps(s[v], xv);
      }
    }
  for (int v = 0; v < NV; ++v) {
    if (TAIL && v == NV - 1) _mm256_maskstore_ps(y + 8 * v, m, _mm256_mul_ps(s[v], scale));
    else _mm256_storeu_ps(y + 8 * v, _mm256_mul_ps(s[v], scale));
  }
}

template <bool TAIL>
inline void avg_any(size_t rh, size_t rw, const float* x, size_t rs, size_t cs, __m256 scale,
                    float* y, size_t left) {
  if (left > 24) avg_block<4, TAIL>(rh, rw, x, rs, cs, scale, y, left);
  else if (left > 16) avg_block<3, TAIL>(rh, rw, x, rs, cs, scale, y, left);
  else if (left > 8) avg_block<2, TAIL>(rh, rw, x, rs, cs, scale, y, left);
  else avg_block<1, TAIL>(rh, rw, x, rs, cs, scale, y, left);
}

}  // namespace

void f32_avgpool2d_ukernel_c32__avx2(size_t c, size_t rh, size_t rw, const float* x,
                                     size_t row_stride, size_t col_stride, float scale, float* y) {
  const __m256 vs = _mm256_set1_ps(scale);
  for (size_t k = 0; k < c; k += 32) {
    const size_t left = c - k < 32 ? c - k : 32;
    if (left % 8 != 0) avg_any<true>(rh, rw, x + k, row_stride, col_stride, vs, y + k, left);
    else avg_any<false>(rh, rw, x + k, row_stride, col_stride, vs, y + k, left);
  }
}

}  // namespace fastconv
