// f32_winograd_out_ukernel_c1__scalar: portable Winograd F(2x2, 3x3) output transform with the
// bias / ReLU epilogue. Contract: conv/winograd_ukernel.h.
#include "conv/winograd_ukernel.h"

namespace fastconv {

void f32_winograd_out_ukernel_c1__scalar(const float* m, int64_t ldm, int64_t f,
                                         const float* bias, bool relu, float* const* y) {
  for (int64_t j = 0; j < f; ++j) {
    // r = A^T m: rows of m combined.
    float r0[4], r1[4];
    for (int q = 0; q < 4; ++q) {
      const float m0 = m[q * ldm + j], m1 = m[(4 + q) * ldm + j], m2 = m[(8 + q) * ldm + j],
                  m3 = m[(12 + q) * ldm + j];
      r0[q] = (m0 + m1) + m2;
      r1[q] = (m1 - m2) - m3;
    }
    // o = r A: columns of r combined.
    float o[4] = {(r0[0] + r0[1]) + r0[2], (r0[1] - r0[2]) - r0[3], (r1[0] + r1[1]) + r1[2],
                  (r1[1] - r1[2]) - r1[3]};
    for (int i = 0; i < 4; ++i) {
      float val = o[i];
      if (bias) val += bias[j];
      if (relu) val = val < 0.0f ? 0.0f : val;  // NaN passes through
      y[i][j] = val;
    }
  }
}

}  // namespace fastconv
