// Bilinear affine resampling, one image per OpenMP work item.
//
// The arithmetic deliberately follows scipy.ndimage's order=1 geometric transform step by step,
// in double precision: the sample point is (0 + m00*r) + m01*q + b0 (same for the column), the
// weights are (1 - t, t) with t = p - floor(p), and the sum runs over the neighbours in the
// order (r0,c0), (r0,c1), (r1,c0), (r1,c1), each term value*wr*wc. So results agree with scipy
// to the last bit in practice, and a whole-pixel shift copies values exactly (a neighbour with
// weight 0 is skipped, which also keeps an out-of-range neighbour at the last row/column from
// being read). Work per image is tiny (28x28 = 784 samples for MNIST) and gather-bound, so
// there is no SIMD version: a batch of 100 MNIST images takes about half a millisecond of one
// core (~7 ns per sample), small next to a training step. A SIMD version would also have to
// keep the compiler from fusing the multiply-adds into FMAs, which would change the rounding.
#include "image/affine.h"

#include <vector>

#include "common/parallel.h"

namespace fastconv {
namespace {

// Bilinear sample of channel k at row i0 + wr[1], column j0 + wc[1]; nr / nc are 1 when that
// weight is 0, so the zero-weight neighbour is skipped.
inline float sample(const float* x, int64_t w, int64_t c, int64_t i0, int64_t j0, int nr, int nc,
                    const double* wr, const double* wc, int64_t k) {
  double acc = 0.0;
  for (int i = 0; i < nr; ++i) {
    const float* row = x + ((i0 + i) * w + j0) * c + k;
    for (int j = 0; j < nc; ++j) {
      double term = static_cast<double>(row[j * c]);
      term *= wr[i];
      term *= wc[j];
      acc += term;
    }
  }
  return static_cast<float>(acc);
}

void resample_one(const float* x, int64_t h, int64_t w, int64_t c, const double* m,
                  const float* fill, const double* col_terms, float* y) {
  const double hmax = static_cast<double>(h - 1), wmax = static_cast<double>(w - 1);
  for (int64_t r = 0; r < h; ++r) {
    // scipy sums (0 + r*m00) + q*m01, then adds b0; the row and column products are the same
    // numbers whether computed here once or per pixel, so hoisting them changes no bit.
    const double rd = static_cast<double>(r);
    const double row_r = rd * m[0], row_c = rd * m[2];
    float* out_row = y + r * w * c;
    for (int64_t q = 0; q < w; ++q) {
      const double pr = (row_r + col_terms[2 * q]) + m[4];
      const double pc = (row_c + col_terms[2 * q + 1]) + m[5];
      float* out = out_row + q * c;
      // Inside test first (also rejects NaN); for p >= 0, truncation is floor.
      if (!(pr >= 0.0 && pr <= hmax && pc >= 0.0 && pc <= wmax)) {
        for (int64_t k = 0; k < c; ++k) out[k] = fill[k];
        continue;
      }
      const int64_t i0 = static_cast<int64_t>(pr), j0 = static_cast<int64_t>(pc);
      const double tr = pr - static_cast<double>(i0), tc = pc - static_cast<double>(j0);
      const double wr[2] = {1.0 - tr, tr}, wc[2] = {1.0 - tc, tc};
      const int nr = tr != 0.0 ? 2 : 1, nc = tc != 0.0 ? 2 : 1;
      if (c == 1 && nr == 2 && nc == 2) {  // the common case, unrolled
        const float* p0 = x + i0 * w + j0;
        const float* p1 = p0 + w;
        double acc = 0.0, term;
        term = p0[0]; term *= wr[0]; term *= wc[0]; acc += term;
        term = p0[1]; term *= wr[0]; term *= wc[1]; acc += term;
        term = p1[0]; term *= wr[1]; term *= wc[0]; acc += term;
        term = p1[1]; term *= wr[1]; term *= wc[1]; acc += term;
        out[0] = static_cast<float>(acc);
        continue;
      }
      for (int64_t k = 0; k < c; ++k) out[k] = sample(x, w, c, i0, j0, nr, nc, wr, wc, k);
    }
  }
}

}  // namespace

void affine_bilinear(const float* x, int64_t n, int64_t h, int64_t w, int64_t c,
                     const double* coeffs, const float* fill, float* y) {
  const int64_t image = h * w * c;
  // ~8 flops per sample; a few thousand samples per thread make a team worth starting.
  const int nt = threads_for(static_cast<double>(n) * static_cast<double>(image), 16384.0);
#pragma omp parallel num_threads(nt)
  {
    std::vector<double> col_terms(static_cast<std::size_t>(2 * w));
#pragma omp for schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      const double* m = coeffs + 6 * i;
      for (int64_t q = 0; q < w; ++q) {
        col_terms[2 * q] = static_cast<double>(q) * m[1];
        col_terms[2 * q + 1] = static_cast<double>(q) * m[3];
      }
      resample_one(x + i * image, h, w, c, m, fill + c * i, col_terms.data(), y + i * image);
    }
  }
}

}  // namespace fastconv
