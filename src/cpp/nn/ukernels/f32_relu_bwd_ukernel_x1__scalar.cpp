// dx = dy where x > 0 (x == 0 passes no gradient). Contract: nn/ukernel.h (ReluBwdFn).
#include "nn/ukernel.h"

namespace fastconv {

void f32_relu_bwd_ukernel_x1__scalar(size_t n, const float* x, const float* dy, float* dx) {
  for (size_t i = 0; i < n; ++i) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
}

}  // namespace fastconv
