// Average-pool backward for one window, 32 channels (4 ymm) at a time: g = dy * scale is formed
// once per channel block, then every real cell gets g (stored, or added when accumulating);
// maskload/maskstore for a partial last vector. Contract: pool/ukernel.h (AvgPoolBwdFn).
#include <immintrin.h>

#include "pool/ukernel.h"

namespace fastconv {
namespace {

inline __m256i lanes(size_t left) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(left < 8 ? left : 8)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

template <int NV, bool TAIL>
inline void spread_block(size_t rh, size_t rw, const float* dy, __m256 scale, float* dx,
                         size_t row_stride, size_t col_stride, bool accumulate, size_t left) {
  const __m256i m = lanes(left - 8 * (NV - 1));
  __m256 g[NV];
  for (int v = 0; v < NV; ++v) {
    const __m256 d = (TAIL && v == NV - 1) ? _mm256_maskload_ps(dy + 8 * v, m)
                                           : _mm256_loadu_ps(dy + 8 * v);
    g[v] = _mm256_mul_ps(d, scale);
  }
  for (size_t i = 0; i < rh; ++i)
    for (size_t j = 0; j < rw; ++j) {
      float* cell = dx + i * row_stride + j * col_stride;
      for (int v = 0; v < NV; ++v) {
        float* p = cell + 8 * v;
        if (TAIL && v == NV - 1) {
          const __m256 o = accumulate ? _mm256_add_ps(_mm256_maskload_ps(p, m), g[v]) : g[v];
          _mm256_maskstore_ps(p, m, o);
        } else {
          _mm256_storeu_ps(p, accumulate ? _mm256_add_ps(_mm256_loadu_ps(p), g[v]) : g[v]);
        }
      }
    }
}

template <bool TAIL>
inline void spread_any(size_t rh, size_t rw, const float* dy, __m256 scale, float* dx, size_t rs,
                       size_t cs, bool acc, size_t left) {
  if (left > 24) spread_block<4, TAIL>(rh, rw, dy, scale, dx, rs, cs, acc, left);
  else if (left > 16) spread_block<3, TAIL>(rh, rw, dy, scale, dx, rs, cs, acc, left);
  else if (left > 8) spread_block<2, TAIL>(rh, rw, dy, scale, dx, rs, cs, acc, left);
  else spread_block<1, TAIL>(rh, rw, dy, scale, dx, rs, cs, acc, left);
}

}  // namespace

void f32_avgpool2d_bwd_ukernel_c32__avx2(size_t c, size_t rh, size_t rw, const float* dy,
                                         float scale, float* dx, size_t row_stride,
                                         size_t col_stride, bool accumulate) {
  const __m256 vs = _mm256_set1_ps(scale);
  for (size_t k = 0; k < c; k += 32) {
    const size_t left = c - k < 32 ? c - k : 32;
    if (left % 8 != 0)
      spread_any<true>(rh, rw, dy + k, vs, dx + k, row_stride, col_stride, accumulate, left);
    else
      spread_any<false>(rh, rw, dy + k, vs, dx + k, row_stride, col_stride, accumulate, left);
  }
}

}  // namespace fastconv
