// Batch-norm backward reductions over one row block: sum dy and sum dy * (x - mean), row order.
// Contract: nn/ukernel.h (BnBwdReduceFn).
#include "nn/ukernel.h"

namespace fastconv {

void f32_batchnorm_bwd_reduce_ukernel_c1__scalar(size_t rows, size_t c, const float* dy,
                                                 const float* x, const float* mean,
                                                 float* __restrict sum_dy, float* __restrict sum_dyx) {
  for (size_t k = 0; k < c; ++k) sum_dy[k] = 0.0f, sum_dyx[k] = 0.0f;
  for (size_t r = 0; r < rows; ++r)
    for (size_t k = 0; k < c; ++k) {
      const float g = dy[r * c + k];
      sum_dy[k] += g;
      sum_dyx[k] += g * (x[r * c + k] - mean[k]);
    }
}

}  // namespace fastconv
