// Local response normalisation, tf.nn.local_response_normalization semantics, per pixel:
//   D_d = bias + alpha * sum_{|j-d| <= r, 0 <= j < c} x_j^2,   y_d = x_d * D_d^-beta
// (alpha is not divided by the window size, unlike Caffe). Each window is summed directly (in
// double, from the squares computed once per pixel) rather than slid (add the entering channel,
// subtract the leaving one): a sliding sum spreads a NaN or inf to every later channel
// (NaN - NaN, inf - inf) and loses the small channels after a huge one to cancellation, where
// the reference only touches the channels whose window holds it. Cost min(c, 2r + 1) adds per
// channel, small next to the pow. Contract: nn/ukernel.h (LrnFn).
#include <algorithm>
#include <cmath>
#include <vector>

#include "nn/ukernel.h"

namespace fastconv {

void f32_lrn_ukernel_c1__scalar(size_t pixels, size_t c, const float* x, float* y,
                                int64_t radius, float bias, float alpha, float beta) {
  const int64_t cc = int64_t(c);
  std::vector<double> sq(c);
  for (size_t p = 0; p < pixels; ++p) {
    const float* xp = x + p * c;
    float* yp = y + p * c;
    for (int64_t j = 0; j < cc; ++j) sq[j] = double(xp[j]) * xp[j];
    for (int64_t d = 0; d < cc; ++d) {
      const int64_t lo = std::max<int64_t>(d - radius, 0), hi = std::min(d + radius, cc - 1);
      double s = 0.0;
      for (int64_t j = lo; j <= hi; ++j) s += sq[j];
      const double denom = double(bias) + double(alpha) * s;
      yp[d] = float(double(xp[d]) * std::pow(denom, -double(beta)));
    }
  }
}

}  // namespace fastconv
