// One row of fused softmax cross-entropy with log-sum-exp: log p_j = (z_j - max) - log(sum),
// finite even for logits of +-1e4 (exp only ever sees values <= 0). One float exp per element:
// e_j = exp(z_j - max) is parked in dz and rescaled in place; the sum of the e_j and the loss
// are accumulated in double, so long rows (K in the tens of thousands) stay accurate.
// Contract: nn/ukernel.h (SoftmaxXentFn).
#include <cmath>

#include "nn/ukernel.h"

namespace fastconv {

double f32_softmax_xent_ukernel_c1__scalar(size_t k, const float* z, const float* t,
                                           int64_t label, float scale, float* dz) {
  float mx = z[0];
  for (size_t j = 1; j < k; ++j) mx = z[j] > mx ? z[j] : mx;
  double sum = 0.0;
  for (size_t j = 0; j < k; ++j) {
    dz[j] = std::exp(z[j] - mx);
    sum += dz[j];
  }
  const double lse = std::log(sum);
  const float p_scale = float(double(scale) / sum);
  double loss = 0.0;
  if (t != nullptr) {
    for (size_t j = 0; j < k; ++j) {
      if (t[j] != 0.0f) loss -= double(t[j]) * ((double(z[j]) - double(mx)) - lse);
      dz[j] = dz[j] * p_scale - t[j] * scale;
    }
  } else {
    for (size_t j = 0; j < k; ++j) dz[j] *= p_scale;
    loss = -((double(z[label]) - double(mx)) - lse);
    dz[label] -= scale;
  }
  return loss;
}

}  // namespace fastconv
