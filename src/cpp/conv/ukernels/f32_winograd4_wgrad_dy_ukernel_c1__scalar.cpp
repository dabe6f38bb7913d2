// f32_winograd4_wgrad_dy_ukernel_c1__scalar: portable Winograd F(3x3, 4x4) dy transform
// E = A e A^T (conv/winograd4_wgrad_math.h). Contract: conv/winograd_wgrad_ukernel.h with 16 dy
// pointers (row-major 4x4 tile) and 36 output positions.
#include "conv/winograd4_wgrad_math.h"
#include "conv/winograd_wgrad_ukernel.h"

namespace fastconv {

void f32_winograd4_wgrad_dy_ukernel_c1__scalar(const float* const* e, int64_t f, float* out,
                                               int64_t ldo) {
  for (int64_t j = 0; j < f; ++j) {
    float s[6][4];  // s = A e: columns of e transformed
    for (int b = 0; b < 4; ++b) {
      const float x[4] = {e[b][j], e[4 + b][j], e[8 + b][j], e[12 + b][j]};
      float y[6];
      winograd4_wgrad::a6(x, y);
      for (int r = 0; r < 6; ++r) s[r][b] = y[r];
    }
    for (int r = 0; r < 6; ++r) {  // E = s A^T: rows of s transformed
      float y[6];
      winograd4_wgrad::a6(s[r], y);
      for (int q = 0; q < 6; ++q) out[(r * 6 + q) * ldo + j] = y[q];
    }
  }
}

}  // namespace fastconv
