// Batch normalisation and LRN drivers. Batch statistics are column reductions over M = N*H*W
// rows in fixed row blocks (nn/parallel_util.h), combined in double in block order: the result
// is the same for any thread count, and float partials stay short (256 rows).
#include <algorithm>
#include <cmath>
#include <vector>

#include "common/error.h"
#include "dispatch/table.h"
#include "nn/nn.h"
#include "nn/parallel_util.h"

namespace fastconv {

using nn_detail::column_blocks;
using nn_detail::column_reduce;
using nn_detail::parallel_elementwise;

void batch_norm_fwd(int64_t m, int64_t c, const float* x, const float* gamma, const float* beta,
                    const float* moving_mean, const float* moving_var, bool training,
                    double momentum, double epsilon, float* y, float* new_mean, float* new_var,
                    float* save_mean, float* save_invstd) {
  const NnKernels& nn = active_table().nn;
  std::vector<float> scale(size_t(c), 0.0f);
  if (training) {
    FASTCONV_CHECK(m >= 1, "batch_norm_fwd: training needs at least one row per channel");
    // Two passes per 256-row block while it is in cache (sum, then squared deviations from the
    // block's own mean mb: no E[x^2] - E[x]^2 cancellation), so x streams from memory once for
    // the statistics instead of twice. Blocks are combined in block order in double (Chan et
    // al.): with n_b rows, M2_b = sum (x - mb)^2 and d_b = sum (x - mb) (mb is a rounded mean,
    // so d_b is small but not 0; summing the small deviations keeps it accurate, where
    // S_b - n_b mb would carry the rounding error of the block sum S_b),
    //   sum over the block of (x - mean)^2 = M2_b + 2 (mb - mean) d_b + n_b (mb - mean)^2.
    // Layout of a block's partials: [S_b | M2_b | d_b | mb], C floats each.
    const std::vector<float> part = column_blocks(m, c, 4, [&](int64_t r0, int64_t rows, float* out) {
      nn.colsum(rows, c, x + r0 * c, out);
      for (int64_t k = 0; k < c; ++k) out[3 * c + k] = float(double(out[k]) / double(rows));
      nn.colsum_sqdiff(rows, c, x + r0 * c, out + 3 * c, out + c, out + 2 * c);
    });
    const int64_t blocks = (m + nn_detail::kRowBlock - 1) / nn_detail::kRowBlock;
    // The block sums are taken as n_b mb + d_b: exact up to d_b's small rounding, unlike S_b
    // (a float sum of 256 values far from 0 is off by many of its ulps).
    std::vector<double> sum(size_t(c), 0.0), sq(size_t(c), 0.0);
    for (int64_t b = 0; b < blocks; ++b) {
      const double nb = double(std::min(nn_detail::kRowBlock, m - b * nn_detail::kRowBlock));
      const float* pb = part.data() + b * 4 * c;
      for (int64_t k = 0; k < c; ++k) sum[k] += nb * double(pb[3 * c + k]) + double(pb[2 * c + k]);
    }
    for (int64_t b = 0; b < blocks; ++b) {
      const double nb = double(std::min(nn_detail::kRowBlock, m - b * nn_detail::kRowBlock));
      const float* pb = part.data() + b * 4 * c;
      for (int64_t k = 0; k < c; ++k) {
        const double dm = double(pb[3 * c + k]) - sum[k] / double(m);
        sq[k] += double(pb[c + k]) + 2.0 * dm * double(pb[2 * c + k]) + nb * dm * dm;
      }
    }
    for (int64_t k = 0; k < c; ++k) save_mean[k] = float(sum[k] / double(m));
    for (int64_t k = 0; k < c; ++k) {
      // (max: rounding must not make the variance of a constant channel negative)
      const double mean = sum[k] / double(m), var = std::max(sq[k], 0.0) / double(m);
      save_invstd[k] = float(1.0 / std::sqrt(var + epsilon));
      new_mean[k] = float(double(moving_mean[k]) * momentum + mean * (1.0 - momentum));
      new_var[k] = float(double(moving_var[k]) * momentum + var * (1.0 - momentum));
    }
  } else {
    for (int64_t k = 0; k < c; ++k) {
      save_mean[k] = moving_mean[k];
      save_invstd[k] = float(1.0 / std::sqrt(double(moving_var[k]) + epsilon));
      new_mean[k] = moving_mean[k];
      new_var[k] = moving_var[k];
    }
  }
  for (int64_t k = 0; k < c; ++k) scale[k] = gamma[k] * save_invstd[k];
  if (c == 0) return;
  parallel_elementwise(m, 65536.0 / double(c), [&](int64_t lo, int64_t hi) {
    nn.bn_apply(hi - lo, c, x + lo * c, save_mean, scale.data(), beta, y + lo * c);
  });
}

void batch_norm_bwd(int64_t m, int64_t c, const float* dy, const float* x, const float* gamma,
                    const float* save_mean, const float* save_invstd, float* dx, float* dgamma,
                    float* dbeta) {
  FASTCONV_CHECK(m >= 1, "batch_norm_bwd: needs at least one row per channel");
  const NnKernels& nn = active_table().nn;
  const std::vector<double> s = column_reduce(m, c, 2, [&](int64_t r0, int64_t rows, float* out) {
    nn.bn_bwd_reduce(rows, c, dy + r0 * c, x + r0 * c, save_mean, out, out + c);
  });
  // dx = gamma*invstd/M * (M dy - dbeta - xhat dgamma), xhat = (x - mean) invstd
  //    = a dy + b (x - mean) + d  with  a = gamma invstd, b = -a invstd dgamma / M,
  //                                     d = -a dbeta / M.
  const size_t cs = static_cast<size_t>(c);
  std::vector<float> a(cs), b(cs), d(cs);
  for (int64_t k = 0; k < c; ++k) {
    const double invstd = save_invstd[k];
    const double db = s[k], dg = s[c + k] * invstd;
    const double ak = double(gamma[k]) * invstd;
    dbeta[k] = float(db);
    dgamma[k] = float(dg);
    a[k] = float(ak);
    b[k] = float(-ak * invstd * dg / double(m));
    d[k] = float(-ak * db / double(m));
  }
  if (c == 0) return;
  parallel_elementwise(m, 65536.0 / double(c), [&](int64_t lo, int64_t hi) {
    nn.bn_bwd_apply(hi - lo, c, dy + lo * c, x + lo * c, save_mean, a.data(), b.data(), d.data(),
                    dx + lo * c);
  });
}

void lrn_fwd(int64_t m, int64_t c, const float* x, float* y, int64_t radius, double bias,
             double alpha, double beta) {
  FASTCONV_CHECK(radius >= 0, "lrn_fwd: depth_radius must be >= 0, got ", radius);
  const LrnFn kernel = active_table().nn.lrn;
  if (c == 0) return;
  parallel_elementwise(m, 4096.0 / double(c), [&](int64_t lo, int64_t hi) {
    kernel(hi - lo, c, x + lo * c, y + lo * c, radius, float(bias), float(alpha), float(beta));
  });
}

void lrn_bwd(int64_t m, int64_t c, const float* x, const float* dy, float* dx, int64_t radius,
             double bias, double alpha, double beta) {
  FASTCONV_CHECK(radius >= 0, "lrn_bwd: depth_radius must be >= 0, got ", radius);
  const LrnBwdFn kernel = active_table().nn.lrn_bwd;
  if (c == 0) return;
  parallel_elementwise(m, 4096.0 / double(c), [&](int64_t lo, int64_t hi) {
    kernel(hi - lo, c, x + lo * c, dy + lo * c, dx + lo * c, radius, float(bias), float(alpha),
           float(beta));
  });
}

}  // namespace fastconv
