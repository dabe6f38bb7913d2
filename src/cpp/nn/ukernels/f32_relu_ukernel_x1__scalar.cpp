// y = max(x, 0), elementwise; NaN stays NaN as with np.maximum. Contract: nn/ukernel.h (ReluFn).
#include "nn/ukernel.h"

namespace fastconv {

void f32_relu_ukernel_x1__scalar(size_t n, const float* x, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = x[i] < 0.0f ? 0.0f : x[i];  // NaN passes through, as np.maximum
}

}  // namespace fastconv
