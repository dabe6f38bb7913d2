// Batch-norm apply: y = (x - mean) * scale + shift per channel (scale = gamma * invstd,
// shift = beta), x - mean first so a large mean does not cancel. Contract: nn/ukernel.h.
#include "nn/ukernel.h"

namespace fastconv {

void f32_batchnorm_ukernel_c1__scalar(size_t rows, size_t c, const float* x, const float* mean,
                                      const float* scale, const float* shift, float* __restrict y) {
  for (size_t r = 0; r < rows; ++r)
    for (size_t k = 0; k < c; ++k) y[r * c + k] = (x[r * c + k] - mean[k]) * scale[k] + shift[k];
}

}  // namespace fastconv
