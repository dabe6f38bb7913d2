// f32_winograd4_kernel_ukernel_c1__scalar: Winograd F(4x4, 3x3) kernel transform U = G g G^T in
// float64, rounded once (G's entries 1/6, 1/12, 1/24 are not floats). Once per call and
// channel, so one portable version serves every ISA. Contract: conv/winograd_ukernel.h.
#include "conv/winograd_ukernel.h"

namespace fastconv {
namespace {

// 3 -> 6 values: G x.
inline void g6(const double* x, double* y) {
  y[0] = x[0] / 4.0;
  y[1] = -(x[0] + x[1] + x[2]) / 6.0;
  y[2] = -(x[0] - x[1] + x[2]) / 6.0;
  y[3] = x[0] / 24.0 + x[1] / 12.0 + x[2] / 6.0;
  y[4] = x[0] / 24.0 - x[1] / 12.0 + x[2] / 6.0;
  y[5] = x[2];
}

}  // namespace

void f32_winograd4_kernel_ukernel_c1__scalar(const float* g, int64_t tap_stride, int64_t n,
                                             float* u, int64_t ldu) {
  for (int64_t j = 0; j < n; ++j) {
    double t[18], col[3], out[6];
    for (int q = 0; q < 3; ++q) {  // columns: t = G g (6 x 3)
      for (int r = 0; r < 3; ++r) col[r] = g[(r * 3 + q) * tap_stride + j];
      g6(col, out);
      for (int i = 0; i < 6; ++i) t[i * 3 + q] = out[i];
    }
    for (int i = 0; i < 6; ++i) {  // rows: U = t G^T
      g6(t + i * 3, out);
      for (int q = 0; q < 6; ++q) u[(i * 6 + q) * ldu + j] = static_cast<float>(out[q]);
    }
  }
}

}  // namespace fastconv
