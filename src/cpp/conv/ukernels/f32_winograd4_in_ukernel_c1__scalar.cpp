// f32_winograd4_in_ukernel_c1__scalar: Winograd F(4x4, 3x3) input transform V = B^T d B, one
// channel at a time. Contract: conv/winograd_ukernel.h; the 1-D transform: conv/winograd4_math.h.
#include "conv/winograd4_math.h"
#include "conv/winograd_ukernel.h"

namespace fastconv {

void f32_winograd4_in_ukernel_c1__scalar(const float* const* d, int64_t c, float* v,
                                         int64_t ldv) {
  for (int64_t k = 0; k < c; ++k) {
    float t[36], col[6], out[6];
    for (int q = 0; q < 6; ++q) {  // columns: t = B^T d
      for (int r = 0; r < 6; ++r) col[r] = d[r * 6 + q][k];
      winograd4::bt6(col, out);
      for (int i = 0; i < 6; ++i) t[i * 6 + q] = out[i];
    }
    for (int i = 0; i < 6; ++i) {  // rows: V = t B
      winograd4::bt6(t + i * 6, out);
      for (int j = 0; j < 6; ++j) v[(i * 6 + j) * ldv + k] = out[j];
    }
  }
}

}  // namespace fastconv
