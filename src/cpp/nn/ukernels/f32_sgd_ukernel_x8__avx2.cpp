// Keras SGD step in place, 8 floats per ymm (see f32_sgd_ukernel_x1__scalar for the formulas):
// v = momentum * v - lr * g as one multiply and one FMA; p -= lr * g as one FMA. The tail uses
// maskload/maskstore (not a scalar loop) so every element sees the same instructions and the
// result does not depend on where a thread's range starts. Contract: nn/ukernel.h (SgdFn).
#include <immintrin.h>

#include "nn/ukernel.h"

namespace fastconv {

void f32_sgd_ukernel_x8__avx2(size_t n, float* p, const float* g, float* v, float lr,
                              float momentum, bool nesterov) {
  const __m256 vlr = _mm256_set1_ps(lr), vmom = _mm256_set1_ps(momentum);
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (size_t i = 0; i < n; i += 8) {
    const __m256i k = _mm256_cmpgt_epi32(_mm256_set1_epi32(int(n - i >= 8 ? 8 : n - i)), lane);
    const __m256 gi = _mm256_maskload_ps(g + i, k);
    const __m256 pi = _mm256_maskload_ps(p + i, k);
    if (momentum == 0.0f) {
      _mm256_maskstore_ps(p + i, k, _mm256_fnmadd_ps(vlr, gi, pi));
      continue;
    }
    const __m256 vi = _mm256_fnmadd_ps(vlr, gi, _mm256_mul_ps(vmom, _mm256_maskload_ps(v + i, k)));
    _mm256_maskstore_ps(v + i, k, vi);
    const __m256 step = nesterov ? _mm256_fnmadd_ps(vlr, gi, _mm256_mul_ps(vmom, vi)) : vi;
    _mm256_maskstore_ps(p + i, k, _mm256_add_ps(pi, step));
  }
}

}  // namespace fastconv
