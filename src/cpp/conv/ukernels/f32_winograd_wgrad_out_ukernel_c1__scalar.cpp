// f32_winograd_wgrad_out_ukernel_c1__scalar: portable Winograd F(3x3, 2x2) output transform
// dW = G^T m G, G^T = [1 .5 .5 0; 0 .5 -.5 0; 0 .5 .5 -1]. Contract: conv/winograd_wgrad_ukernel.h.
#include "conv/winograd_wgrad_ukernel.h"

namespace fastconv {

void f32_winograd_wgrad_out_ukernel_c1__scalar(const float* m, int64_t ldm, int64_t f, float* w,
                                               int64_t tap_stride) {
  for (int64_t j = 0; j < f; ++j) {
    // t = G^T m: rows of m combined (3 x 4).
    float t[3][4];
    for (int q = 0; q < 4; ++q) {
      const float m0 = m[q * ldm + j], m1 = m[(4 + q) * ldm + j], m2 = m[(8 + q) * ldm + j],
                  m3 = m[(12 + q) * ldm + j];
      const float p = 0.5f * (m1 + m2), d = 0.5f * (m1 - m2);
      t[0][q] = m0 + p;
      t[1][q] = d;
      t[2][q] = p - m3;
    }
    // dW = t G: columns of t combined.
    for (int k = 0; k < 3; ++k) {
      const float p = 0.5f * (t[k][1] + t[k][2]), d = 0.5f * (t[k][1] - t[k][2]);
      w[(k * 3 + 0) * tap_stride + j] = t[k][0] + p;
      w[(k * 3 + 1) * tap_stride + j] = d;
      w[(k * 3 + 2) * tap_stride + j] = p - t[k][3];
    }
  }
}

}  // namespace fastconv
