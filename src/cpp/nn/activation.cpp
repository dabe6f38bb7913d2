// ReLU, bias add and softmax drivers: split the rows/elements over threads, call the active ISA's
// microkernel. Elementwise work is memory-bound, so a thread needs ~64K elements to pay off.
#include <algorithm>
#include <limits>

#include "common/error.h"
#include "common/parallel.h"
#include "dispatch/table.h"
#include "nn/nn.h"
#include "nn/parallel_util.h"

namespace fastconv {

using nn_detail::column_reduce;
using nn_detail::parallel_elementwise;

void relu_fwd(int64_t n, const float* x, float* y) {
  const ReluFn kernel = active_table().nn.relu;
  parallel_elementwise(n, 65536.0, [&](int64_t lo, int64_t hi) { kernel(hi - lo, x + lo, y + lo); });
}

void relu_bwd(int64_t n, const float* x, const float* dy, float* dx) {
  const ReluBwdFn kernel = active_table().nn.relu_bwd;
  parallel_elementwise(n, 65536.0, [&](int64_t lo, int64_t hi) {
    kernel(hi - lo, x + lo, dy + lo, dx + lo);
  });
}

void bias_add_fwd(int64_t m, int64_t c, const float* x, const float* b, float* y) {
  const BiasAddFn kernel = active_table().nn.bias_add;
  if (c == 0) return;
  parallel_elementwise(m, 65536.0 / double(c), [&](int64_t lo, int64_t hi) {
    kernel(hi - lo, c, x + lo * c, b, y + lo * c);
  });
}

void bias_add_bwd(int64_t m, int64_t c, const float* dy, float* db) {
  const ColSumFn kernel = active_table().nn.colsum;
  const std::vector<double> sum = column_reduce(m, c, 1, [&](int64_t r0, int64_t rows, float* out) {
    kernel(rows, c, dy + r0 * c, out);
  });
  for (int64_t k = 0; k < c; ++k) db[k] = float(sum[k]);
}

void softmax_fwd(int64_t m, int64_t k, const float* z, float* p) {
  const SoftmaxFn kernel = active_table().nn.softmax;
  if (k == 0) return;
  parallel_elementwise(m, 16384.0 / double(k), [&](int64_t lo, int64_t hi) {
    kernel(hi - lo, k, z + lo * k, p + lo * k);
  });
}

void softmax_bwd(int64_t m, int64_t k, const float* y, const float* dy, float* dz) {
  const SoftmaxBwdFn kernel = active_table().nn.softmax_bwd;
  if (k == 0) return;
  parallel_elementwise(m, 65536.0 / double(k), [&](int64_t lo, int64_t hi) {
    kernel(hi - lo, k, y + lo * k, dy + lo * k, dz + lo * k);
  });
}

double softmax_xent_fwd(int64_t n, int64_t k, const float* z, const float* t,
                        const int64_t* labels, float* dz) {
  FASTCONV_CHECK(k >= 1, "softmax_xent_fwd: logits need at least one class, got K=", k);
  FASTCONV_CHECK((t == nullptr) != (labels == nullptr),
                 "softmax_xent_fwd: pass exactly one of targets and labels");
  if (labels != nullptr)
    for (int64_t i = 0; i < n; ++i)
      FASTCONV_CHECK(labels[i] >= 0 && labels[i] < k, "softmax_xent_fwd: label ", labels[i],
                     " of row ", i, " is outside [0, ", k, ")");
  // Mean over an empty batch: 0 / 0 = NaN, as the reference and TensorFlow's reduce_mean.
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  const SoftmaxXentFn kernel = active_table().nn.softmax_xent;
  const float scale = float(1.0 / double(n));
  // Row losses are kept and summed in row order afterwards: the mean is then independent of
  // how rows were split over threads.
  std::vector<double> row_loss(size_t(n), 0.0);
  parallel_elementwise(n, 8192.0 / double(k), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r)
      row_loss[r] = kernel(k, z + r * k, t != nullptr ? t + r * k : nullptr,
                           labels != nullptr ? labels[r] : -1, scale, dz + r * k);
  });
  double total = 0.0;
  for (int64_t r = 0; r < n; ++r) total += row_loss[r];
  return total / double(n);
}

}  // namespace fastconv
