// Bilinear affine resampling, one image per OpenMP work item.
//
// The arithmetic deliberately follows scipy.ndimage's order=1 geometric transform step by step,
// in double precision: the sample point is (0 + m00*r) + m01*q + b0 (same for the column), the
// weights are (1 - t, t) with t = p - floor(p), and the sum runs over the neighbours in the
// order (r0,c0), (r0,c1), (r1,c0), (r1,c1), each term value*wr*wc. So results agree with scipy
// to the last bit in practice, and a whole-pixel shift copies values exactly (a neighbour with
// weight 0 is skipped, which also keeps an out-of-range neighbour at the last row/column from
// being read). Work per image is tiny (28x28 = 784 samples for MNIST) and gather-bound, so
// there is no SIMD version: the whole batch of 100 MNIST images takes well under a millisecond.
#include "image/affine.h"

#include <cmath>

#include "common/parallel.h"

namespace fastconv {
namespace {

// Position p along an axis of length len: whether it is inside [0, len-1], the lower
// neighbour and the weight of the upper one.
struct Axis {
  bool inside;
  int64_t i0;
  double t;
};

inline Axis locate(double p, int64_t len) {
  Axis a{false, 0, 0.0};
  if (!(p >= 0.0 && p <= static_cast<double>(len - 1))) return a;  // also rejects NaN
  const double f = std::floor(p);
  a.inside = true;
  a.i0 = static_cast<int64_t>(f);
  a.t = p - f;
  return a;
}

void resample_one(const float* x, int64_t h, int64_t w, int64_t c, const double* m,
                  const float* fill, float* y) {
  for (int64_t r = 0; r < h; ++r) {
    const double rd = static_cast<double>(r);
    for (int64_t q = 0; q < w; ++q) {
      const double qd = static_cast<double>(q);
      double pr = 0.0, pc = 0.0;
      pr += rd * m[0];
      pr += qd * m[1];
      pr += m[4];
      pc += rd * m[2];
      pc += qd * m[3];
      pc += m[5];
      float* out = y + (r * w + q) * c;
      const Axis ar = locate(pr, h), ac = locate(pc, w);
      if (!ar.inside || !ac.inside) {
        for (int64_t k = 0; k < c; ++k) out[k] = fill[k];
        continue;
      }
      const double wr[2] = {1.0 - ar.t, ar.t}, wc[2] = {1.0 - ac.t, ac.t};
      const int nr = ar.t != 0.0 ? 2 : 1, nc = ac.t != 0.0 ? 2 : 1;
      for (int64_t k = 0; k < c; ++k) {
        double acc = 0.0;
        for (int i = 0; i < nr; ++i) {
          const float* row = x + ((ar.i0 + i) * w + ac.i0) * c + k;
          for (int j = 0; j < nc; ++j) {
            double term = static_cast<double>(row[j * c]);
            term *= wr[i];
            term *= wc[j];
            acc += term;
          }
        }
        out[k] = static_cast<float>(acc);
      }
    }
  }
}

}  // namespace

void affine_bilinear(const float* x, int64_t n, int64_t h, int64_t w, int64_t c,
                     const double* coeffs, const float* fill, float* y) {
  const int64_t image = h * w * c;
  // ~8 flops per sample; a few thousand samples per thread make a team worth starting.
  const int nt = threads_for(static_cast<double>(n) * static_cast<double>(image), 16384.0);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t i = 0; i < n; ++i)
    resample_one(x + i * image, h, w, c, coeffs + 6 * i, fill + c * i, y + i * image);
}

}  // namespace fastconv
