// f32_winograd_kernel_ukernel_c1__scalar: portable Winograd F(2x2, 3x3) kernel transform in
// float64, rounded once to float. Contract: conv/winograd_ukernel.h.
#include "conv/winograd_ukernel.h"

namespace fastconv {

void f32_winograd_kernel_ukernel_c1__scalar(const float* g, int64_t tap_stride, int64_t n,
                                            float* u, int64_t ldu) {
  for (int64_t j = 0; j < n; ++j) {
    double gg[4][3];
    for (int q = 0; q < 3; ++q) {
      const double g0 = g[q * tap_stride + j], g1 = g[(3 + q) * tap_stride + j],
                   g2 = g[(6 + q) * tap_stride + j];
      gg[0][q] = g0;
      gg[1][q] = 0.5 * ((g0 + g1) + g2);
      gg[2][q] = 0.5 * ((g0 - g1) + g2);
      gg[3][q] = g2;
    }
    for (int r = 0; r < 4; ++r) {
      const double a0 = gg[r][0], a1 = gg[r][1], a2 = gg[r][2];
      u[(r * 4 + 0) * ldu + j] = static_cast<float>(a0);
      u[(r * 4 + 1) * ldu + j] = static_cast<float>(0.5 * ((a0 + a1) + a2));
      u[(r * 4 + 2) * ldu + j] = static_cast<float>(0.5 * ((a0 - a1) + a2));
      u[(r * 4 + 3) * ldu + j] = static_cast<float>(a2);
    }
  }
}

}  // namespace fastconv
