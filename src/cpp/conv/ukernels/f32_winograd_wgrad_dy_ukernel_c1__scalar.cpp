// f32_winograd_wgrad_dy_ukernel_c1__scalar: portable Winograd F(3x3, 2x2) dy transform
// E = A e A^T, A = [1 0; 1 1; 1 -1; 0 1]. Contract: conv/winograd_wgrad_ukernel.h.
#include "conv/winograd_wgrad_ukernel.h"

namespace fastconv {

void f32_winograd_wgrad_dy_ukernel_c1__scalar(const float* const* e, int64_t f, float* out,
                                              int64_t ldo) {
  for (int64_t j = 0; j < f; ++j) {
    const float e00 = e[0][j], e01 = e[1][j], e10 = e[2][j], e11 = e[3][j];
    // s = A e: rows of e combined (column 0 and column 1 of the 4x2 result).
    const float s0[4] = {e00, e00 + e10, e00 - e10, e10};
    const float s1[4] = {e01, e01 + e11, e01 - e11, e11};
    // E = s A^T: columns combined.
    for (int r = 0; r < 4; ++r) {
      out[(r * 4 + 0) * ldo + j] = s0[r];
      out[(r * 4 + 1) * ldo + j] = s0[r] + s1[r];
      out[(r * 4 + 2) * ldo + j] = s0[r] - s1[r];
      out[(r * 4 + 3) * ldo + j] = s1[r];
    }
  }
}

}  // namespace fastconv
