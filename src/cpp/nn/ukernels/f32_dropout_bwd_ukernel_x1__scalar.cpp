// Dropout backward: dx = dy * scale where the forward kept the element, else 0.
// Contract: nn/ukernel.h (DropoutBwdFn).
#include "nn/ukernel.h"

namespace fastconv {

void f32_dropout_bwd_ukernel_x1__scalar(size_t n, const float* dy, const uint8_t* mask,
                                        float scale, float* dx) {
  for (size_t i = 0; i < n; ++i) dx[i] = mask[i] ? dy[i] * scale : 0.0f;
}

}  // namespace fastconv
