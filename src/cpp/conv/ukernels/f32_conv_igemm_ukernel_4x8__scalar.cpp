// f32_conv_igemm_ukernel_4x8__scalar: portable indirect-GEMM tile. Contract: conv/conv_ukernel.h.
#include "conv/conv_ukernel.h"

namespace fastconv {

void f32_conv_igemm_ukernel_4x8__scalar(int64_t ntaps, int64_t c, const float* const* a,
                                        const float* w, float* y, int64_t ldy, int m, int n,
                                        const UkernelParams& p) {
  constexpr int MR = 4, NR = 8;
  const int64_t ws = p.ldw != 0 ? p.ldw : NR;  // weight rows: packed, or read in place
  float acc[MR][NR] = {};
  for (int64_t t = 0; t < ntaps; ++t, a += MR) {
    const float* a0 = a[0];
    const float* a1 = a[1];
    const float* a2 = a[2];
    const float* a3 = a[3];
    for (int64_t k = 0; k < c; ++k, w += ws) {
      const float v[MR] = {a0[k], a1[k], a2[k], a3[k]};
      for (int i = 0; i < MR; ++i)
        for (int j = 0; j < NR; ++j) acc[i][j] += v[i] * w[j];
    }
  }
  for (int i = 0; i < m; ++i) {
    float* yi = y + i * ldy;
    for (int j = 0; j < n; ++j) {
      float v = acc[i][j];
      if (p.bias) v += p.bias[j];
      if (p.relu) v = v < 0.0f ? 0.0f : v;  // NaN passes through
      yi[j] = v;
    }
  }
}

}  // namespace fastconv
