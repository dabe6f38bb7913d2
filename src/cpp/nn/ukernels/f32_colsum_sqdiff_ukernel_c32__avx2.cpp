// Column sums of squared deviations from a known mean and of the deviations, 32 channels (8 ymm
// accumulators) per pass over the rows, maskload for a partial last vector; row order per
// channel, one FMA per row for the squares.
// Contract: nn/ukernel.h (ColSumSqDiffFn).
#include <immintrin.h>

#include "nn/ukernel.h"

namespace fastconv {
namespace {

inline __m256i lanes(size_t left) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(left < 8 ? left : 8)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

template <int NV, bool TAIL>
inline void sqdiff_block(size_t rows, size_t c, const float* x, const float* mean, float* sum,
                         float* dsum, size_t left) {
  const __m256i m = lanes(left - 8 * (NV - 1));
  __m256 s[NV], sd[NV], mu[NV];
  for (int v = 0; v < NV; ++v) {
    s[v] = _mm256_setzero_ps();
    sd[v] = _mm256_setzero_ps();
    mu[v] = (TAIL && v == NV - 1) ? _mm256_maskload_ps(mean + 8 * v, m)
                                  : _mm256_loadu_ps(mean + 8 * v);
  }
  for (size_t r = 0; r < rows; ++r, x += c)
    for (int v = 0; v < NV; ++v) {
      const __m256 xv = (TAIL && v == NV - 1) ? _mm256_maskload_ps(x + 8 * v, m)
                                              : _mm256_loadu_ps(x + 8 * v);
      const __m256 d = _mm256_sub_ps(xv, mu[v]);
      s[v] = _mm256_fmadd_ps(d, d, s[v]);
      sd[v] = _mm256_add_ps(sd[v], d);
    }
  for (int v = 0; v < NV; ++v) {
    if (TAIL && v == NV - 1) {
      _mm256_maskstore_ps(sum + 8 * v, m, s[v]);
      _mm256_maskstore_ps(dsum + 8 * v, m, sd[v]);
    } else {
      _mm256_storeu_ps(sum + 8 * v, s[v]);
      _mm256_storeu_ps(dsum + 8 * v, sd[v]);
    }
  }
}

template <bool TAIL>
inline void sqdiff_any(size_t rows, size_t c, const float* x, const float* mean, float* sum,
                       float* dsum, size_t left) {
  if (left > 24) sqdiff_block<4, TAIL>(rows, c, x, mean, sum, dsum, left);
  else if (left > 16) sqdiff_block<3, TAIL>(rows, c, x, mean, sum, dsum, left);
  else if (left > 8) sqdiff_block<2, TAIL>(rows, c, x, mean, sum, dsum, left);
  else sqdiff_block<1, TAIL>(rows, c, x, mean, sum, dsum, left);
}

}  // namespace

void f32_colsum_sqdiff_ukernel_c32__avx2(size_t rows, size_t c, const float* x,
                                         const float* mean, float* sum, float* dsum) {
  for (size_t k = 0; k < c; k += 32) {
    const size_t left = c - k < 32 ? c - k : 32;
    if (left % 8 != 0) sqdiff_any<true>(rows, c, x + k, mean + k, sum + k, dsum + k, left);
    else sqdiff_any<false>(rows, c, x + k, mean + k, sum + k, dsum + k, left);
  }
}

}  // namespace fastconv
