// Batch-norm backward reductions (sum dy, sum dy * (x - mean)), 32 channels (8 ymm accumulators)
// per pass over the rows, maskload for a partial last vector; row order per channel.
// Contract: nn/ukernel.h (BnBwdReduceFn).
#include <immintrin.h>

#include "nn/ukernel.h"

namespace fastconv {
namespace {

inline __m256i lanes(size_t left) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(left < 8 ? left : 8)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

template <int NV, bool TAIL>
inline void reduce_block(size_t rows, size_t c, const float* dy, const float* x,
                         const float* mean, float* sum_dy, float* sum_dyx, size_t left) {
  const __m256i m = lanes(left - 8 * (NV - 1));
  __m256 sg[NV], sx[NV], mu[NV];
  for (int v = 0; v < NV; ++v) {
    sg[v] = _mm256_setzero_ps();
    sx[v] = _mm256_setzero_ps();
    mu[v] = (TAIL && v == NV - 1) ? _mm256_maskload_ps(mean + 8 * v, m)
                                  : _mm256_loadu_ps(mean + 8 * v);
  }
  for (size_t r = 0; r < rows; ++r, dy += c, x += c)
    for (int v = 0; v < NV; ++v) {
      const bool part = TAIL && v == NV - 1;
      const __m256 g = part ? _mm256_maskload_ps(dy + 8 * v, m) : _mm256_loadu_ps(dy + 8 * v);
      const __m256 xv = part ? _mm256_maskload_ps(x + 8 * v, m) : _mm256_loadu_ps(x + 8 * v);
      sg[v] = _mm256_add_ps(sg[v], g);
      sx[v] = _mm256_fmadd_ps(g, _mm256_sub_ps(xv, mu[v]), sx[v]);
    }
  for (int v = 0; v < NV; ++v) {
    if (TAIL && v == NV - 1) {
      _mm256_maskstore_ps(sum_dy + 8 * v, m, sg[v]);
      _mm256_maskstore_ps(sum_dyx + 8 * v, m, sx[v]);
    } else {
      _mm256_storeu_ps(sum_dy + 8 * v, sg[v]);
      _mm256_storeu_ps(sum_dyx + 8 * v, sx[v]);
    }
  }
}

template <bool TAIL>
inline void reduce_any(size_t rows, size_t c, const float* dy, const float* x, const float* mean,
                       float* sum_dy, float* sum_dyx, size_t left) {
  if (left > 24) reduce_block<4, TAIL>(rows, c, dy, x, mean, sum_dy, sum_dyx, left);
  else if (left > 16) reduce_block<3, TAIL>(rows, c, dy, x, mean, sum_dy, sum_dyx, left);
  else if (left > 8) reduce_block<2, TAIL>(rows, c, dy, x, mean, sum_dy, sum_dyx, left);
  else reduce_block<1, TAIL>(rows, c, dy, x, mean, sum_dy, sum_dyx, left);
}

}  // namespace

void f32_batchnorm_bwd_reduce_ukernel_c32__avx2(size_t rows, size_t c, const float* dy,
                                                const float* x, const float* mean, float* sum_dy,
                                                float* sum_dyx) {
  for (size_t k = 0; k < c; k += 32) {
    const size_t left = c - k < 32 ? c - k : 32;
    if (left % 8 != 0)
      reduce_any<true>(rows, c, dy + k, x + k, mean + k, sum_dy + k, sum_dyx + k, left);
    else
      reduce_any<false>(rows, c, dy + k, x + k, mean + k, sum_dy + k, sum_dyx + k, left);
  }
}

}  // namespace fastconv
