// Average-pool backward for one window: every real cell gets dy * scale. Contract:
// pool/ukernel.h (AvgPoolBwdFn).
#include "pool/ukernel.h"

namespace fastconv {

void f32_avgpool2d_bwd_ukernel_c1__scalar(size_t c, size_t rh, size_t rw, const float* dy,
                                          float scale, float* dx, size_t row_stride,
                                          size_t col_stride, bool accumulate) {
  for (size_t i = 0; i < rh; ++i)
    for (size_t j = 0; j < rw; ++j) {
      float* cell = dx + i * row_stride + j * col_stride;
      if (accumulate) {
        for (size_t k = 0; k < c; ++k) cell[k] += dy[k] * scale;
      } else {
        for (size_t k = 0; k < c; ++k) cell[k] = dy[k] * scale;
      }
    }
}

}  // namespace fastconv
