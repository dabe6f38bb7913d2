// Max over a clipped window, one channel at a time in the inner loop (contiguous in NHWC, so the
// compiler may vectorize it for the baseline ISA). Contract: pool/ukernel.h (MaxPoolFn).
#include "pool/ukernel.h"

namespace fastconv {

void f32_maxpool2d_ukernel_c1__scalar(size_t c, size_t rh, size_t rw, const float* x,
                                      size_t row_stride, size_t col_stride, float* y) {
  // The first cell initialises y so no -inf sentinel is needed (a window is never empty).
  for (size_t k = 0; k < c; ++k) y[k] = x[k];
  for (size_t i = 0; i < rh; ++i) {
    for (size_t j = (i == 0 ? 1 : 0); j < rw; ++j) {
      const float* cell = x + i * row_stride + j * col_stride;
      // NaN propagates as in np.max (a NaN cell is taken; a NaN y is never replaced)
      for (size_t k = 0; k < c; ++k)
        y[k] = (cell[k] > y[k] || cell[k] != cell[k]) ? cell[k] : y[k];
    }
  }
}

}  // namespace fastconv
