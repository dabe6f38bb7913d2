// y[r, k] = x[r, k] + b[k]; the inner loop runs over the contiguous channel axis.
// Contract: nn/ukernel.h (BiasAddFn).
#include "nn/ukernel.h"

namespace fastconv {

void f32_bias_add_ukernel_c1__scalar(size_t rows, size_t c, const float* x, const float* b,
                                     float* __restrict y) {
  for (size_t r = 0; r < rows; ++r)
    for (size_t k = 0; k < c; ++k) y[r * c + k] = x[r * c + k] + b[k];
}

}  // namespace fastconv
