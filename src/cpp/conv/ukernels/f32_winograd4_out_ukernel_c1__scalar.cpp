// f32_winograd4_out_ukernel_c1__scalar: Winograd F(4x4, 3x3) output transform Y = A^T M A with
// the bias / ReLU epilogue, one filter at a time. Contract: conv/winograd_ukernel.h.
#include "conv/winograd4_math.h"
#include "conv/winograd_ukernel.h"

namespace fastconv {

void f32_winograd4_out_ukernel_c1__scalar(const float* m, int64_t ldm, int64_t f,
                                          const float* bias, bool relu, float* const* y) {
  for (int64_t j = 0; j < f; ++j) {
    float t[24], col[6], out[4];
    for (int q = 0; q < 6; ++q) {  // columns: t = A^T M (4 x 6)
      for (int r = 0; r < 6; ++r) col[r] = m[(r * 6 + q) * ldm + j];
      winograd4::at6(col, out);
      for (int i = 0; i < 4; ++i) t[i * 6 + q] = out[i];
    }
    const float b = bias ? bias[j] : 0.0f;
    for (int i = 0; i < 4; ++i) {  // rows: Y = t A
      winograd4::at6(t + i * 6, out);
      for (int q = 0; q < 4; ++q) {
        float val = bias ? out[q] + b : out[q];
        if (relu) val = val < 0.0f ? 0.0f : val;  // NaN passes through
        y[i * 4 + q][j] = val;
      }
    }
  }
}

}  // namespace fastconv
