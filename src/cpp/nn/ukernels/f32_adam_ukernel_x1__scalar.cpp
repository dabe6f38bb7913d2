// Keras Adam step in place, elementwise, bias correction folded into lr_t by the driver.
// Contract: nn/ukernel.h (AdamFn).
#include <cmath>

#include "nn/ukernel.h"

namespace fastconv {

void f32_adam_ukernel_x1__scalar(size_t n, float* p, const float* g, float* m, float* v,
                                 const AdamParams& prm) {
  const float b1 = prm.b1, c1 = prm.c1, b2 = prm.b2, c2 = prm.c2;
  const float lr_t = prm.lr_t, eps = prm.eps;
  for (size_t i = 0; i < n; ++i) {
    const float gi = g[i];
    const float mi = b1 * m[i] + c1 * gi;
    const float vi = b2 * v[i] + c2 * (gi * gi);
    m[i] = mi;
    v[i] = vi;
    p[i] -= lr_t * mi / (std::sqrt(vi) + eps);
  }
}

}  // namespace fastconv
