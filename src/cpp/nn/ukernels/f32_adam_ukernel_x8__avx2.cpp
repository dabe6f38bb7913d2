// Keras Adam step in place, 8 floats per ymm. The tail uses maskload/maskstore (not a scalar
// loop) so every element sees the same instructions and the result does not depend on where a
// thread's range starts. Contract: nn/ukernel.h (AdamFn).
#include <immintrin.h>

#include "nn/ukernel.h"

namespace fastconv {
namespace {

inline __m256i tail_mask(size_t left) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(left)), lane);
}

}  // namespace

void f32_adam_ukernel_x8__avx2(size_t n, float* p, const float* g, float* m, float* v,
                               const AdamParams& prm) {
  const __m256 vb1 = _mm256_set1_ps(prm.b1), vb2 = _mm256_set1_ps(prm.b2);
  const __m256 vc1 = _mm256_set1_ps(prm.c1), vc2 = _mm256_set1_ps(prm.c2);
  const __m256 vlr = _mm256_set1_ps(prm.lr_t), veps = _mm256_set1_ps(prm.eps);
  for (size_t i = 0; i < n; i += 8) {
    const __m256i k = tail_mask(n - i >= 8 ? 8 : n - i);
    const __m256 gi = _mm256_maskload_ps(g + i, k);
    const __m256 mi = _mm256_fmadd_ps(vb1, _mm256_maskload_ps(m + i, k), _mm256_mul_ps(vc1, gi));
    const __m256 vi = _mm256_fmadd_ps(vb2, _mm256_maskload_ps(v + i, k),
                                      _mm256_mul_ps(vc2, _mm256_mul_ps(gi, gi)));
    const __m256 step = _mm256_div_ps(_mm256_mul_ps(vlr, mi), _mm256_add_ps(_mm256_sqrt_ps(vi), veps));
    _mm256_maskstore_ps(m + i, k, mi);
    _mm256_maskstore_ps(v + i, k, vi);
    _mm256_maskstore_ps(p + i, k, _mm256_sub_ps(_mm256_maskload_ps(p + i, k), step));
  }
}

}  // namespace fastconv
