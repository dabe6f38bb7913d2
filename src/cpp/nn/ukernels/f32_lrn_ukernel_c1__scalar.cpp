// Local response normalisation, tf.nn.local_response_normalization semantics, per pixel:
//   D_d = bias + alpha * sum_{|j-d| <= r, 0 <= j < c} x_j^2,   y_d = x_d * D_d^-beta
// (alpha is not divided by the window size, unlike Caffe). The window sum slides: add the
// entering channel, subtract the leaving one, in double so the running sum does not drift.
// Contract: nn/ukernel.h (LrnFn).
#include <cmath>

#include "nn/ukernel.h"

namespace fastconv {

void f32_lrn_ukernel_c1__scalar(size_t pixels, size_t c, const float* x, float* y,
                                int64_t radius, float bias, float alpha, float beta) {
  const int64_t cc = int64_t(c);
  for (size_t p = 0; p < pixels; ++p) {
    const float* xp = x + p * c;
    float* yp = y + p * c;
    double s = 0.0;
    for (int64_t j = 0; j < cc && j <= radius; ++j) s += double(xp[j]) * xp[j];
    for (int64_t d = 0; d < cc; ++d) {
      const double denom = double(bias) + double(alpha) * s;
      yp[d] = float(double(xp[d]) * std::pow(denom, -double(beta)));
      const int64_t enter = d + radius + 1, leave = d - radius;
      if (enter < cc) s += double(xp[enter]) * xp[enter];
      if (leave >= 0) s -= double(xp[leave]) * xp[leave];
    }
  }
}

}  // namespace fastconv
