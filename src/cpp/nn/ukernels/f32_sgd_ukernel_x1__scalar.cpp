// Keras SGD step in place, elementwise (see reference/optim.py):
//   momentum == 0: p -= lr * g
//   else:          v = momentum * v - lr * g;  p += v  (plain)  or  p += momentum * v - lr * g
// Every element runs the same expression, so the result is the same for any thread split.
// Contract: nn/ukernel.h (SgdFn).
#include "nn/ukernel.h"

namespace fastconv {

void f32_sgd_ukernel_x1__scalar(size_t n, float* p, const float* g, float* v, float lr,
                                float momentum, bool nesterov) {
  if (momentum == 0.0f) {
    for (size_t i = 0; i < n; ++i) p[i] -= lr * g[i];
  } else if (nesterov) {
    for (size_t i = 0; i < n; ++i) {
      const float vi = momentum * v[i] - lr * g[i];
      v[i] = vi;
      p[i] += momentum * vi - lr * g[i];
    }
  } else {
    for (size_t i = 0; i < n; ++i) {
      const float vi = momentum * v[i] - lr * g[i];
      v[i] = vi;
      p[i] += vi;
    }
  }
}

}  // namespace fastconv
