// Average over a clipped window: row-major sum, then one multiply by 1/count (the driver passes
// scale = 1 / number of real cells, TensorFlow's 'same' rule). Contract: pool/ukernel.h.
#include "pool/ukernel.h"

namespace fastconv {

void f32_avgpool2d_ukernel_c1__scalar(size_t c, size_t rh, size_t rw, const float* x,
                                      size_t row_stride, size_t col_stride, float scale,
                                      float* y) {
  for (size_t k = 0; k < c; ++k) y[k] = 0.0f;
  for (size_t i = 0; i < rh; ++i)
    for (size_t j = 0; j < rw; ++j) {
      const float* cell = x + i * row_stride + j * col_stride;
      for (size_t k = 0; k < c; ++k) y[k] += cell[k];
    }
  for (size_t k = 0; k < c; ++k) y[k] *= scale;
}

}  // namespace fastconv
