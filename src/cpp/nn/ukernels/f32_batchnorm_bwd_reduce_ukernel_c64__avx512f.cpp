// Batch-norm backward reductions (sum dy, sum dy * (x - mean)), 64 channels (8 zmm accumulators)
// per pass over the rows, masked channel tail; row order per channel.
// Contract: nn/ukernel.h (BnBwdReduceFn).
#include <immintrin.h>

#include "nn/ukernel.h"

namespace fastconv {
namespace {

inline __mmask16 lanes(size_t left) {
  return left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1);
}

template <int NV>
inline void reduce_block(size_t rows, size_t c, const float* dy, const float* x,
                         const float* mean, float* sum_dy, float* sum_dyx, size_t left) {
  __mmask16 m[NV];
  __m512 sg[NV], sx[NV], mu[NV];
  for (int v = 0; v < NV; ++v) {
    m[v] = lanes(left - 16 * v);
    sg[v] = _mm512_setzero_ps();
    sx[v] = _mm512_setzero_ps();
    mu[v] = _mm512_maskz_loadu_ps(m[v], mean + 16 * v);
  }
  for (size_t r = 0; r < rows; ++r, dy += c, x += c)
    for (int v = 0; v < NV; ++v) {
      const __m512 g = _mm512_maskz_loadu_ps(m[v], dy + 16 * v);
      const __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(m[v], x + 16 * v), mu[v]);
      sg[v] = _mm512_add_ps(sg[v], g);
      sx[v] = _mm512_fmadd_ps(g, d, sx[v]);
    }
  for (int v = 0; v < NV; ++v) {
    _mm512_mask_storeu_ps(sum_dy + 16 * v, m[v], sg[v]);
    _mm512_mask_storeu_ps(sum_dyx + 16 * v, m[v], sx[v]);
  }
}

}  // namespace

void f32_batchnorm_bwd_reduce_ukernel_c64__avx512f(size_t rows, size_t c, const float* dy,
                                                   const float* x, const float* mean,
                                                   float* sum_dy, float* sum_dyx) {
  for (size_t k = 0; k < c; k += 64) {
    const size_t left = c - k;
    const float *g = dy + k, *xx = x + k, *mu = mean + k;
    if (left > 48) reduce_block<4>(rows, c, g, xx, mu, sum_dy + k, sum_dyx + k, left);
    else if (left > 32) reduce_block<3>(rows, c, g, xx, mu, sum_dy + k, sum_dyx + k, left);
    else if (left > 16) reduce_block<2>(rows, c, g, xx, mu, sum_dy + k, sum_dyx + k, left);
    else reduce_block<1>(rows, c, g, xx, mu, sum_dy + k, sum_dyx + k, left);
  }
}

}  // namespace fastconv
