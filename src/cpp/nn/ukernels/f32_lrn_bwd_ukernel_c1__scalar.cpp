// LRN backward, the exact derivative of f32_lrn_ukernel_c1__scalar per pixel:
//   dx_j = dy_j D_j^-beta - 2 alpha beta x_j sum_{|d-j| <= r} dy_d x_d D_d^(-beta-1)
// (the window is symmetric, so the same sliding sum serves both passes). The two per-channel
// temporaries are allocated once per call, i.e. once per thread's block of pixels.
// Contract: nn/ukernel.h (LrnBwdFn).
#include <cmath>
#include <vector>

#include "nn/ukernel.h"

namespace fastconv {

void f32_lrn_bwd_ukernel_c1__scalar(size_t pixels, size_t c, const float* x, const float* dy,
                                    float* dx, int64_t radius, float bias, float alpha,
                                    float beta) {
  const int64_t cc = int64_t(c);
  std::vector<double> dpow(c), t(c);  // D^-beta and dy x D^(-beta-1), per channel
  for (size_t p = 0; p < pixels; ++p) {
    const float* xp = x + p * c;
    const float* gp = dy + p * c;
    float* dp = dx + p * c;
    double s = 0.0;
    for (int64_t j = 0; j < cc && j <= radius; ++j) s += double(xp[j]) * xp[j];
    for (int64_t d = 0; d < cc; ++d) {
      const double denom = double(bias) + double(alpha) * s;
      dpow[d] = std::pow(denom, -double(beta));
      t[d] = double(gp[d]) * xp[d] * dpow[d] / denom;
      const int64_t enter = d + radius + 1, leave = d - radius;
      if (enter < cc) s += double(xp[enter]) * xp[enter];
      if (leave >= 0) s -= double(xp[leave]) * xp[leave];
    }
    double cross = 0.0;
    for (int64_t j = 0; j < cc && j <= radius; ++j) cross += t[j];
    const double k = 2.0 * double(alpha) * double(beta);
    for (int64_t j = 0; j < cc; ++j) {
      dp[j] = float(double(gp[j]) * dpow[j] - k * double(xp[j]) * cross);
      const int64_t enter = j + radius + 1, leave = j - radius;
      if (enter < cc) cross += t[enter];
      if (leave >= 0) cross -= t[leave];
    }
  }
}

}  // namespace fastconv
