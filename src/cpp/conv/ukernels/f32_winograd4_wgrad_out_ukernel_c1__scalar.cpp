// f32_winograd4_wgrad_out_ukernel_c1__scalar: portable Winograd F(3x3, 4x4) output transform
// dW = (24 G^T) m (24 G^T)^T / 576 in float64 (conv/winograd4_wgrad_math.h). Contract:
// conv/winograd_wgrad_ukernel.h with 36 input positions.
#include "conv/winograd4_wgrad_math.h"
#include "conv/winograd_wgrad_ukernel.h"

namespace fastconv {

void f32_winograd4_wgrad_out_ukernel_c1__scalar(const float* m, int64_t ldm, int64_t f, float* w,
                                                int64_t tap_stride) {
  for (int64_t j = 0; j < f; ++j) {
    double t[3][6];  // t = G^T m: columns of m transformed
    for (int q = 0; q < 6; ++q) {
      double x[6], y[3];
      for (int r = 0; r < 6; ++r) x[r] = m[(r * 6 + q) * ldm + j];
      winograd4_wgrad::gt6(x, y);
      for (int k = 0; k < 3; ++k) t[k][q] = y[k];
    }
    for (int k = 0; k < 3; ++k) {  // dW = t G: rows of t transformed
      double y[3];
      winograd4_wgrad::gt6(t[k], y);
      for (int l = 0; l < 3; ++l)
        w[(k * 3 + l) * tap_stride + j] = static_cast<float>(y[l] / 576.0);
    }
  }
}

}  // namespace fastconv
