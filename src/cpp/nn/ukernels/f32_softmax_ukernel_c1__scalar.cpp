// Row softmax: subtract the row max so exp never overflows, exp, normalise by the sum.
// Contract: nn/ukernel.h (SoftmaxFn).
#include <cmath>

#include "nn/ukernel.h"

namespace fastconv {

void f32_softmax_ukernel_c1__scalar(size_t rows, size_t k, const float* z, float* p) {
  for (size_t r = 0; r < rows; ++r) {
    const float* zr = z + r * k;
    float* pr = p + r * k;
    float mx = zr[0];
    for (size_t j = 1; j < k; ++j) mx = zr[j] > mx ? zr[j] : mx;
    float sum = 0.0f;
    for (size_t j = 0; j < k; ++j) {
      pr[j] = std::exp(zr[j] - mx);
      sum += pr[j];
    }
    const float inv = 1.0f / sum;
    for (size_t j = 0; j < k; ++j) pr[j] *= inv;
  }
}

}  // namespace fastconv
