// Dropout driver: the generator is counter-based (element i depends only on seed and i), so each
// thread generates its own range starting at its first flat index and the mask is the same for
// any thread count.
#include <cmath>

#include "common/error.h"
#include "dispatch/table.h"
#include "nn/nn.h"
#include "nn/parallel_util.h"

namespace fastconv {

using nn_detail::parallel_elementwise;

void dropout_fwd(int64_t n, const float* x, double rate, uint64_t seed, float* y, uint8_t* mask) {
  FASTCONV_CHECK(rate >= 0.0 && rate < 1.0, "dropout_fwd: rate must be in [0, 1), got ", rate);
  const DropoutFn kernel = active_table().nn.dropout;
  // u = k * 2^-24 with integer k, so u >= rate  <=>  k >= ceil(rate * 2^24) (exact: the product
  // only shifts rate's exponent).
  const uint64_t threshold = uint64_t(std::ceil(rate * 16777216.0));
  const float scale = float(1.0 / (1.0 - rate));
  parallel_elementwise(n, 32768.0, [&](int64_t lo, int64_t hi) {
    kernel(hi - lo, uint64_t(lo), seed, threshold, scale, x + lo, y + lo, mask + lo);
  });
}

void dropout_bwd(int64_t n, const float* dy, const uint8_t* mask, double rate, float* dx) {
  FASTCONV_CHECK(rate >= 0.0 && rate < 1.0, "dropout_bwd: rate must be in [0, 1), got ", rate);
  const DropoutBwdFn kernel = active_table().nn.dropout_bwd;
  const float scale = float(1.0 / (1.0 - rate));
  parallel_elementwise(n, 65536.0, [&](int64_t lo, int64_t hi) {
    kernel(hi - lo, dy + lo, mask + lo, scale, dx + lo);
  });
}

}  // namespace fastconv
