// f32_conv_bwdw_ukernel_4x8__scalar: portable backward-filter tile. Contract: conv/conv_ukernel.h.
#include "conv/conv_ukernel.h"

namespace fastconv {

void f32_conv_bwdw_ukernel_4x8__scalar(int64_t npix, const float* const* a, int64_t a_off,
                                       const float* dy, int64_t ldy, float* dw, int64_t ldw,
                                       int kr, int n) {
  constexpr int KR = 4, NR = 8;
  float acc[KR][NR] = {};
  for (int64_t p = 0; p < npix; ++p, dy += ldy) {
    const float* ap = a[p] + a_off;
    float d[NR] = {};
    for (int j = 0; j < n; ++j) d[j] = dy[j];
    for (int k = 0; k < kr; ++k)
      for (int j = 0; j < NR; ++j) acc[k][j] += ap[k] * d[j];
  }
  for (int k = 0; k < kr; ++k)
    for (int j = 0; j < n; ++j) dw[k * ldw + j] += acc[k][j];
}

}  // namespace fastconv
