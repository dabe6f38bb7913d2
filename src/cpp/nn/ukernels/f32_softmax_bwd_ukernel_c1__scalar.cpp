// Softmax backward from its output: dz = y * (dy - sum(dy * y)) per row.
// Contract: nn/ukernel.h (SoftmaxBwdFn).
#include "nn/ukernel.h"

namespace fastconv {

void f32_softmax_bwd_ukernel_c1__scalar(size_t rows, size_t k, const float* y, const float* dy,
                                        float* dz) {
  for (size_t r = 0; r < rows; ++r) {
    const float* yr = y + r * k;
    const float* gr = dy + r * k;
    float dot = 0.0f;
    for (size_t j = 0; j < k; ++j) dot += gr[j] * yr[j];
    for (size_t j = 0; j < k; ++j) dz[r * k + j] = yr[j] * (gr[j] - dot);
  }
}

}  // namespace fastconv
