// f32_conv_direct1_ukernel_x8__scalar: portable single-channel direct forward. Contract:
// conv/conv_ukernel.h.
#include "conv/conv_ukernel.h"

namespace fastconv {

void f32_conv_direct1_ukernel_x8__scalar(int64_t npix, const float* x, int64_t xs,
                                         const int64_t* tap_off, int ntaps, const float* w,
                                         int64_t ldw, const float* bias, bool relu, float* y,
                                         int64_t ldy, int n) {
  for (int64_t i = 0; i < npix; ++i, x += xs, y += ldy) {
    float acc[8] = {};
    for (int t = 0; t < ntaps; ++t) {
      const float v = x[tap_off[t]];
      for (int j = 0; j < n; ++j) acc[j] += v * w[t * ldw + j];
    }
    for (int j = 0; j < n; ++j) {
      float r = acc[j];
      if (bias) r += bias[j];
      if (relu) r = r < 0.0f ? 0.0f : r;  // NaN passes through
      y[j] = r;
    }
  }
}

}  // namespace fastconv
