// Batch-norm backward apply: dx = a * dy + b * (x - mean) + d per channel, the reference's
// gamma*invstd/M * (M dy - dbeta - xhat dgamma) with the per-channel factors folded by the
// driver. Contract: nn/ukernel.h (BnBwdApplyFn).
#include "nn/ukernel.h"

namespace fastconv {

void f32_batchnorm_bwd_ukernel_c1__scalar(size_t rows, size_t c, const float* dy, const float* x,
                                          const float* mean, const float* a, const float* b,
                                          const float* d, float* __restrict dx) {
  for (size_t r = 0; r < rows; ++r)
    for (size_t k = 0; k < c; ++k)
      dx[r * c + k] = a[k] * dy[r * c + k] + b[k] * (x[r * c + k] - mean[k]) + d[k];
}

}  // namespace fastconv
