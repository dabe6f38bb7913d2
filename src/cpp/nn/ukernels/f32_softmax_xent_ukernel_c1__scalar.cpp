// One row of fused softmax cross-entropy with log-sum-exp: log p_j = (z_j - max) - log(sum),
// finite even for logits of +-1e4 (exp only ever sees values <= 0). The sum of exps is kept in
// double: it costs nothing at these widths and keeps the loss accurate for long rows.
// Contract: nn/ukernel.h (SoftmaxXentFn).
#include <cmath>

#include "nn/ukernel.h"

namespace fastconv {

double f32_softmax_xent_ukernel_c1__scalar(size_t k, const float* z, const float* t,
                                           int64_t label, float scale, float* dz) {
  float mx = z[0];
  for (size_t j = 1; j < k; ++j) mx = z[j] > mx ? z[j] : mx;
  double sum = 0.0;
  for (size_t j = 0; j < k; ++j) sum += std::exp(double(z[j]) - double(mx));
  const double lse = std::log(sum);
  double loss = 0.0;
  for (size_t j = 0; j < k; ++j) {
    const double logp = (double(z[j]) - double(mx)) - lse;
    const double tj = t != nullptr ? double(t[j]) : (int64_t(j) == label ? 1.0 : 0.0);
    if (tj != 0.0) loss -= tj * logp;
    dz[j] = float((std::exp(logp) - tj) * double(scale));
  }
  return loss;
}

}  // namespace fastconv
