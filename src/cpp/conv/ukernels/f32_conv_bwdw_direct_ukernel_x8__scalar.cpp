// f32_conv_bwdw_direct_ukernel_x8__scalar: portable few-channel direct backward-filter.
// Contract: conv/conv_ukernel.h.
#include "conv/conv_ukernel.h"

namespace fastconv {

void f32_conv_bwdw_direct_ukernel_x8__scalar(int64_t nrows, int64_t npix, const float* x,
                                             int64_t xrs, int64_t xs, const int64_t* tap_off,
                                             int ntaps, const float* dy, int64_t ldy, float* dw,
                                             int64_t ldw, float* db, int n) {
  float acc[kConvBwdFilterDirectMaxTaps][8] = {};
  float sum[8] = {};
  for (int64_t r = 0; r < nrows; ++r, x += xrs) {
    const float* xi = x;
    for (int64_t i = 0; i < npix; ++i, xi += xs, dy += ldy) {
      for (int t = 0; t < ntaps; ++t) {
        const float v = xi[tap_off[t]];
        for (int j = 0; j < n; ++j) acc[t][j] += v * dy[j];
      }
      for (int j = 0; j < n; ++j) sum[j] += dy[j];
    }
  }
  for (int t = 0; t < ntaps; ++t)
    for (int j = 0; j < n; ++j) dw[t * ldw + j] += acc[t][j];
  if (db != nullptr)
    for (int j = 0; j < n; ++j) db[j] += sum[j];
}

}  // namespace fastconv
