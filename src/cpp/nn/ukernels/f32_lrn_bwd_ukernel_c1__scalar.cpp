// LRN backward, the exact derivative of f32_lrn_ukernel_c1__scalar per pixel:
//   dx_j = dy_j D_j^-beta - 2 alpha beta x_j sum_{|d-j| <= r} dy_d x_d D_d^(-beta-1)
// (the window is symmetric, so the same window serves both sums). Windows are summed directly,
// not slid, for the reasons given in the forward kernel: a NaN or inf then reaches exactly the
// channels it reaches in the reference. The per-channel temporaries are allocated once per call,
// i.e. once per thread's block of pixels. Contract: nn/ukernel.h (LrnBwdFn).
#include <algorithm>
#include <cmath>
#include <vector>

#include "nn/ukernel.h"

namespace fastconv {

void f32_lrn_bwd_ukernel_c1__scalar(size_t pixels, size_t c, const float* x, const float* dy,
                                    float* dx, int64_t radius, float bias, float alpha,
                                    float beta) {
  const int64_t cc = int64_t(c);
  // x^2, D^-beta and dy x D^(-beta-1), per channel
  std::vector<double> sq(c), dpow(c), t(c);
  const double k = 2.0 * double(alpha) * double(beta);
  for (size_t p = 0; p < pixels; ++p) {
    const float* xp = x + p * c;
    const float* gp = dy + p * c;
    float* dp = dx + p * c;
    for (int64_t j = 0; j < cc; ++j) sq[j] = double(xp[j]) * xp[j];
    for (int64_t d = 0; d < cc; ++d) {
      const int64_t lo = std::max<int64_t>(d - radius, 0), hi = std::min(d + radius, cc - 1);
      double s = 0.0;
      for (int64_t j = lo; j <= hi; ++j) s += sq[j];
      const double denom = double(bias) + double(alpha) * s;
      dpow[d] = std::pow(denom, -double(beta));
      t[d] = double(gp[d]) * xp[d] * dpow[d] / denom;
    }
    for (int64_t j = 0; j < cc; ++j) {
      const int64_t lo = std::max<int64_t>(j - radius, 0), hi = std::min(j + radius, cc - 1);
      double cross = 0.0;
      for (int64_t d = lo; d <= hi; ++d) cross += t[d];
      dp[j] = float(double(gp[j]) * dpow[j] - k * double(xp[j]) * cross);
    }
  }
}

}  // namespace fastconv
