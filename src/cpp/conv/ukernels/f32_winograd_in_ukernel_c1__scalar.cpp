// f32_winograd_in_ukernel_c1__scalar: portable Winograd F(2x2, 3x3) input transform.
// Contract: conv/winograd_ukernel.h.
#include "conv/winograd_ukernel.h"

namespace fastconv {

void f32_winograd_in_ukernel_c1__scalar(const float* const* d, int64_t c, float* v,
                                        int64_t ldv) {
  for (int64_t k = 0; k < c; ++k) {
    float t[4][4];
    // t = B^T d: rows of d combined.
    for (int q = 0; q < 4; ++q) {
      const float d0 = d[q][k], d1 = d[4 + q][k], d2 = d[8 + q][k], d3 = d[12 + q][k];
      t[0][q] = d0 - d2;
      t[1][q] = d1 + d2;
      t[2][q] = d2 - d1;
      t[3][q] = d1 - d3;
    }
    // v = t B: columns of t combined.
    for (int r = 0; r < 4; ++r) {
      v[(r * 4 + 0) * ldv + k] = t[r][0] - t[r][2];
      v[(r * 4 + 1) * ldv + k] = t[r][1] + t[r][2];
      v[(r * 4 + 2) * ldv + k] = t[r][2] - t[r][1];
      v[(r * 4 + 3) * ldv + k] = t[r][1] - t[r][3];
    }
  }
}

}  // namespace fastconv
