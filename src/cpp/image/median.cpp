// Per-image, per-channel median: the default background of fastconv.image's augmentation.
// nth_element on a copy is O(HW) per image, several times cheaper than numpy.median over a
// batch (which sorts a partition per row and carries more bookkeeping for tiny rows).
#include <algorithm>
#include <cmath>
#include <limits>

#include "common/buffer.h"
#include "common/parallel.h"
#include "image/affine.h"

namespace fastconv {
namespace {

// Scratch slot: the GEMM driver uses 0 and 1.
constexpr int kMedianScratchSlot = 2;

float median_of(float* v, int64_t count) {
  for (int64_t i = 0; i < count; ++i)
    if (std::isnan(v[i])) return std::numeric_limits<float>::quiet_NaN();  // as numpy
  const int64_t upper = count / 2;
  std::nth_element(v, v + upper, v + count);
  if (count % 2 == 1) return v[upper];
  // Even count: numpy's mean of the two middle values, in float32: (a + b) / 2.
  const float lower = *std::max_element(v, v + upper);
  return (lower + v[upper]) / 2.0f;
}

}  // namespace

void image_median(const float* x, int64_t n, int64_t hw, int64_t c, float* med) {
  const int nt = threads_for(static_cast<double>(n) * static_cast<double>(hw * c), 16384.0);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    float* v = thread_scratch(kMedianScratchSlot, static_cast<std::size_t>(hw));
    const float* img = x + i * hw * c;
    for (int64_t k = 0; k < c; ++k) {
      for (int64_t p = 0; p < hw; ++p) v[p] = img[p * c + k];
      med[i * c + k] = median_of(v, hw);
    }
  }
}

}  // namespace fastconv

namespace fastconv {

// uint8 images (the usual case for MNIST-like data): a 256-bin histogram per channel finds the
// middle values in O(HW + 256) with no data-dependent branches, several times faster again.
void image_median_u8(const uint8_t* x, int64_t n, int64_t hw, int64_t c, float* med) {
  const int nt = threads_for(static_cast<double>(n) * static_cast<double>(hw * c), 16384.0);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* img = x + i * hw * c;
    for (int64_t k = 0; k < c; ++k) {
      int64_t hist[256] = {0};
      for (int64_t p = 0; p < hw; ++p) ++hist[img[p * c + k]];
      // The values of rank lo = (hw-1)/2 and hi = hw/2 (0-based; equal for odd hw).
      const int64_t lo = (hw - 1) / 2, hi = hw / 2;
      int vlo = -1, vhi = -1;
      int64_t seen = 0;
      for (int v = 0; v < 256 && vhi < 0; ++v) {
        seen += hist[v];
        if (vlo < 0 && seen > lo) vlo = v;
        if (seen > hi) vhi = v;
      }
      med[i * c + k] = (static_cast<float>(vlo) + static_cast<float>(vhi)) / 2.0f;
    }
  }
}

}  // namespace fastconv
