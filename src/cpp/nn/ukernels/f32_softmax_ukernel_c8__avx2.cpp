// Row softmax, 8 classes per ymm: row max, e = exp8(z - max) parked in p and summed in 8 float
// lanes (then a fixed tree), p = e * (1 / sum); the class tail uses maskload/maskstore (masked
// lanes enter the max as -inf and the sum as 0). exp8's error (exp_avx2.h, <= 1.5 * 2^-24
// relative) adds to the ~k * 2^-24 of the float sum. Rows are independent, so the result does
// not depend on the thread split. Contract: nn/ukernel.h (SoftmaxFn).
#include <immintrin.h>

#include "nn/ukernel.h"
#include "nn/ukernels/exp_avx2.h"

namespace fastconv {
namespace {

inline float hmax8(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

inline float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

}  // namespace

void f32_softmax_ukernel_c8__avx2(size_t rows, size_t k, const float* z, float* p) {
  const size_t full = k & ~size_t(7);
  const bool has_tail = full < k;
  const __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32(int(k - full)),
                                          _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  const __m256 tailf = _mm256_castsi256_ps(tail);
  const __m256 neg_inf = _mm256_set1_ps(-__builtin_inff());
  for (size_t r = 0; r < rows; ++r, z += k, p += k) {
    __m256 vmax = neg_inf;
    size_t j = 0;
    for (; j < full; j += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(z + j));
    if (has_tail)
      vmax = _mm256_max_ps(vmax, _mm256_blendv_ps(neg_inf, _mm256_maskload_ps(z + j, tail), tailf));
    const __m256 mx = _mm256_set1_ps(hmax8(vmax));
    __m256 vsum = _mm256_setzero_ps();
    for (j = 0; j < full; j += 8) {
      const __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(z + j), mx));
      _mm256_storeu_ps(p + j, e);
      vsum = _mm256_add_ps(vsum, e);
    }
    if (has_tail) {
      const __m256 e = _mm256_and_ps(tailf, exp8(_mm256_sub_ps(_mm256_maskload_ps(z + j, tail), mx)));
      _mm256_maskstore_ps(p + j, tail, e);
      vsum = _mm256_add_ps(vsum, e);
    }
    const __m256 inv = _mm256_set1_ps(1.0f / hsum8(vsum));
    for (j = 0; j < full; j += 8) _mm256_storeu_ps(p + j, _mm256_mul_ps(_mm256_loadu_ps(p + j), inv));
    if (has_tail)
      _mm256_maskstore_ps(p + j, tail, _mm256_mul_ps(_mm256_maskload_ps(p + j, tail), inv));
  }
}

}  // namespace fastconv
