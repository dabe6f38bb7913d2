// Softmax backward from its output, dz = y * (dy - sum(dy * y)) per row, 8 classes per ymm: the
// dot product in 8 float lanes (FMA, then a fixed tree), maskload/maskstore for the class tail
// (masked lanes load 0 and add nothing). Rows are independent, so the result does not depend on
// the thread split. Contract: nn/ukernel.h (SoftmaxBwdFn).
#include <immintrin.h>

#include "nn/ukernel.h"

namespace fastconv {
namespace {

inline float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

}  // namespace

void f32_softmax_bwd_ukernel_c8__avx2(size_t rows, size_t k, const float* y, const float* dy,
                                      float* dz) {
  const size_t full = k & ~size_t(7);
  const bool has_tail = full < k;
  const __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32(int(k - full)),
                                          _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  for (size_t r = 0; r < rows; ++r, y += k, dy += k, dz += k) {
    __m256 acc = _mm256_setzero_ps();
    size_t j = 0;
    for (; j < full; j += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(dy + j), _mm256_loadu_ps(y + j), acc);
    if (has_tail)
      acc = _mm256_fmadd_ps(_mm256_maskload_ps(dy + j, tail), _mm256_maskload_ps(y + j, tail), acc);
    const __m256 dot = _mm256_set1_ps(hsum8(acc));
    for (j = 0; j < full; j += 8)
      _mm256_storeu_ps(dz + j, _mm256_mul_ps(_mm256_loadu_ps(y + j),
                                             _mm256_sub_ps(_mm256_loadu_ps(dy + j), dot)));
    if (has_tail)
      _mm256_maskstore_ps(dz + j, tail,
                          _mm256_mul_ps(_mm256_maskload_ps(y + j, tail),
                                        _mm256_sub_ps(_mm256_maskload_ps(dy + j, tail), dot)));
  }
}

}  // namespace fastconv
