// Max-pool backward for one window, recomputing the arg-max from x. Contract: pool/ukernel.h
// (MaxPoolBwdFn). Strict '>' keeps the first maximum in row-major window order, as TensorFlow.
#include "pool/ukernel.h"

namespace fastconv {

void f32_maxpool2d_bwd_ukernel_c1__scalar(size_t c, size_t rh, size_t rw, const float* x,
                                          size_t row_stride, size_t col_stride, const float* dy,
                                          float* dx, bool accumulate, bool relu_mask) {
  for (size_t k = 0; k < c; ++k) {
    float best = x[k];
    size_t best_off = 0;
    for (size_t i = 0; i < rh; ++i) {
      for (size_t j = 0; j < rw; ++j) {
        const size_t off = i * row_stride + j * col_stride;
        if (x[off + k] > best) {
          best = x[off + k];
          best_off = off;
        }
      }
    }
    const float g = relu_mask && !(best > 0.0f) ? 0.0f : dy[k];
    if (accumulate) {
      dx[best_off + k] += g;
    } else {
      for (size_t i = 0; i < rh; ++i)
        for (size_t j = 0; j < rw; ++j) dx[i * row_stride + j * col_stride + k] = 0.0f;
      dx[best_off + k] = g;
    }
  }
}

}  // namespace fastconv
