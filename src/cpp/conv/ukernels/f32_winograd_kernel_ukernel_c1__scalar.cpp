// f32_winograd_kernel_ukernel_c1__scalar: portable Winograd F(2x2, 3x3) kernel transform in
// float32. Contract: conv/winograd_ukernel.h.
#include "conv/winograd_ukernel.h"

namespace fastconv {

void f32_winograd_kernel_ukernel_c1__scalar(const float* g, int64_t tap_stride, int64_t n,
                                            float* u, int64_t ldu) {
  // Scale of row / column r of U: G's rows 1 and 2 carry a factor 1/2, applied last.
  static constexpr float kScale[4] = {1.0f, 0.5f, 0.5f, 1.0f};
  for (int64_t j = 0; j < n; ++j) {
    float gg[4][3];
    for (int q = 0; q < 3; ++q) {
      const float g0 = g[q * tap_stride + j], g1 = g[(3 + q) * tap_stride + j],
                  g2 = g[(6 + q) * tap_stride + j];
      const float t = g0 + g2;
      gg[0][q] = g0;
      gg[1][q] = t + g1;
      gg[2][q] = t - g1;
      gg[3][q] = g2;
    }
    for (int r = 0; r < 4; ++r) {
      const float a0 = gg[r][0], a1 = gg[r][1], a2 = gg[r][2];
      const float t = a0 + a2;
      const float row[4] = {a0, t + a1, t - a1, a2};
      for (int q = 0; q < 4; ++q) {
        const float scale = kScale[r] * kScale[q];
        u[(r * 4 + q) * ldu + j] = scale == 1.0f ? row[q] : row[q] * scale;
      }
    }
  }
}

}  // namespace fastconv
