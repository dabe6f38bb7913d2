// Column sums of a (rows, c) block in row order (the drivers' fixed-size row blocks make the
// order independent of the thread count). Contract: nn/ukernel.h (ColSumFn).
#include "nn/ukernel.h"

namespace fastconv {

void f32_colsum_ukernel_c1__scalar(size_t rows, size_t c, const float* x, float* __restrict sum) {
  for (size_t k = 0; k < c; ++k) sum[k] = 0.0f;
  for (size_t r = 0; r < rows; ++r)
    for (size_t k = 0; k < c; ++k) sum[k] += x[r * c + k];
}

}  // namespace fastconv
