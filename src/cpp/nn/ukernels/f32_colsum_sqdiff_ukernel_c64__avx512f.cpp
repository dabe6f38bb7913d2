// Column sums of squared deviations from a known mean and of the deviations, 64 channels
// (8 zmm accumulators) per pass over the rows, masked channel tail; row order per channel, d*d
// added with one FMA per row.
// Contract: nn/ukernel.h (ColSumSqDiffFn).
#include <immintrin.h>

#include "nn/ukernel.h"

namespace fastconv {
namespace {

inline __mmask16 lanes(size_t left) {
  return left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1);
}

template <int NV>
inline void sqdiff_block(size_t rows, size_t c, const float* x, const float* mean, float* sum,
                         float* dsum, size_t left) {
  __mmask16 m[NV];
  __m512 s[NV], sd[NV], mu[NV];
  for (int v = 0; v < NV; ++v) {
    m[v] = lanes(left - 16 * v);
    s[v] = _mm512_setzero_ps();
    sd[v] = _mm512_setzero_ps();
    mu[v] = _mm512_maskz_loadu_ps(m[v], mean + 16 * v);
  }
  for (size_t r = 0; r < rows; ++r, x += c)
    for (int v = 0; v < NV; ++v) {
      const __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(m[v], x + 16 * v), mu[v]);
      s[v] = _mm512_fmadd_ps(d, d, s[v]);
      sd[v] = _mm512_add_ps(sd[v], d);
    }
  for (int v = 0; v < NV; ++v) {
    _mm512_mask_storeu_ps(sum + 16 * v, m[v], s[v]);
    _mm512_mask_storeu_ps(dsum + 16 * v, m[v], sd[v]);
  }
}

}  // namespace

void f32_colsum_sqdiff_ukernel_c64__avx512f(size_t rows, size_t c, const float* x,
                                            const float* mean, float* sum, float* dsum) {
  for (size_t k = 0; k < c; k += 64) {
    const size_t left = c - k;
    if (left > 48) sqdiff_block<4>(rows, c, x + k, mean + k, sum + k, dsum + k, left);
    else if (left > 32) sqdiff_block<3>(rows, c, x + k, mean + k, sum + k, dsum + k, left);
    else if (left > 16) sqdiff_block<2>(rows, c, x + k, mean + k, sum + k, dsum + k, left);
    else sqdiff_block<1>(rows, c, x + k, mean + k, sum + k, dsum + k, left);
  }
}

}  // namespace fastconv
