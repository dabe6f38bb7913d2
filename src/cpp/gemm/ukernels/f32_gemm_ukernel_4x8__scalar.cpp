// f32_gemm_ukernel_4x8__scalar: the portable microkernel (any CPU, ARM included) and the
// reference the SIMD kernels are tested against. Contract: see gemm/ukernel.h.
// Handles any m <= 4, n <= 8; no alignment requirements.
#include "gemm/ukernel.h"

namespace fastconv {

void f32_gemm_ukernel_4x8__scalar(int64_t kc, const float* a, const float* b, int64_t ldb, float* c,
                                  int64_t ldc, int m, int n, const UkernelParams& p) {
  constexpr int MR = 4, NR = 8;
  float acc[MR][NR] = {};
  for (int64_t k = 0; k < kc; ++k) {
    for (int i = 0; i < MR; ++i) {
      const float ai = a[i];
      for (int j = 0; j < NR; ++j) acc[i][j] += ai * b[j];
    }
    a += MR;
    b += ldb;  // == NR: these kernels only get packed panels
  }
  for (int i = 0; i < m; ++i) {
    float* ci = c + i * ldc;
    for (int j = 0; j < n; ++j) {
      // beta == 0 must not read C: it may hold NaN or garbage.
      float v = p.alpha * acc[i][j];
      if (p.beta != 0.0f) v += p.beta * ci[j];
      if (p.bias) v += p.bias[j];
      if (p.relu && v < 0.0f) v = 0.0f;  // NaN passes through, as in the SIMD kernels
      ci[j] = v;
    }
  }
}

}  // namespace fastconv
