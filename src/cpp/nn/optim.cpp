// Optimizer updates in place over one parameter buffer. Elementwise, so any split over threads
// gives the same bits (the SIMD kernels mask their tails instead of finishing with scalar code).
#include <cmath>

#include "common/error.h"
#include "dispatch/table.h"
#include "nn/nn.h"
#include "nn/parallel_util.h"

namespace fastconv {

using nn_detail::parallel_elementwise;

void sgd_update(int64_t n, float* param, const float* grad, float* velocity, double lr,
                double momentum, bool nesterov) {
  FASTCONV_CHECK(momentum == 0.0 || velocity != nullptr,
                 "sgd_update: momentum=", momentum, " needs a velocity buffer");
  const SgdFn kernel = active_table().nn.sgd;
  const float flr = float(lr), fmom = float(momentum);
  parallel_elementwise(n, 65536.0, [&](int64_t lo, int64_t hi) {
    kernel(hi - lo, param + lo, grad + lo, velocity != nullptr ? velocity + lo : nullptr, flr,
           fmom, nesterov);
  });
}

void adam_update(int64_t n, float* param, const float* grad, float* m, float* v, double lr,
                 double beta_1, double beta_2, double epsilon, int64_t step) {
  FASTCONV_CHECK(step >= 1, "adam_update: step must be >= 1, got ", step);
  const AdamFn kernel = active_table().nn.adam;
  // Keras folds both bias corrections into the learning rate (epsilon stays uncorrected).
  const double lr_t = lr * std::sqrt(1.0 - std::pow(beta_2, double(step))) /
                      (1.0 - std::pow(beta_1, double(step)));
  const AdamParams prm{float(lr_t),   float(beta_1),       float(1.0 - beta_1),
                       float(beta_2), float(1.0 - beta_2), float(epsilon)};
  parallel_elementwise(n, 32768.0, [&](int64_t lo, int64_t hi) {
    kernel(hi - lo, param + lo, grad + lo, m + lo, v + lo, prm);
  });
}

}  // namespace fastconv
