// f32_gemv_ukernel_x64__scalar: the portable GEMV kernel (any CPU) and the reference the SIMD
// versions are tested against. Contract: see GemvUkernelFn in gemm/ukernel.h.
// For each row of op(A), blocks of 64 columns: the 64 partial sums stay in a local array (the
// compiler keeps them in registers or L1) while the k rows of B stream past, then the epilogue
// runs once (or the sums are parked in params.partial, see the contract). Each column's sum is
// a plain sequence acc += a * b in depth order, the same wherever the column sits. Any m.
#include <algorithm>
#include <cstdint>

#include "gemm/ukernel.h"

namespace fastconv {

void f32_gemv_ukernel_x64__scalar(int m, int64_t n, int64_t k, const float* a, int64_t a_rs,
                                  int64_t a_cs, const float* b, int64_t ldb, float* c,
                                  int64_t ldc, const GemvParams& p) {
  constexpr int64_t NB = 64;
  for (int i = 0; i < m; ++i) {
    const float* ai = a + i * a_rs;
    float* ci = c + i * ldc;
    float* si = p.first && p.last ? nullptr : p.partial + i * p.ldp;
    for (int64_t j0 = 0; j0 < n; j0 += NB) {
      const int64_t w = std::min(NB, n - j0);
      float acc[NB] = {};
      if (!p.first)
        for (int64_t j = 0; j < w; ++j) acc[j] = si[j0 + j];
      const float* bp = b + j0;
      for (int64_t q = 0; q < k; ++q, bp += ldb) {
        const float x = ai[q * a_cs];
        for (int64_t j = 0; j < w; ++j) acc[j] += x * bp[j];
      }
      if (!p.last) {
        for (int64_t j = 0; j < w; ++j) si[j0 + j] = acc[j];
        continue;
      }
      for (int64_t j = 0; j < w; ++j) {
        // beta == 0 must not read C: it may hold NaN or garbage.
        float v = p.alpha * acc[j];
        if (p.beta != 0.0f) v += p.beta * ci[j0 + j];
        if (p.bias) v += p.bias[j0 + j];
        if (p.relu && v < 0.0f) v = 0.0f;  // NaN passes through, as in the SIMD kernels
        ci[j0 + j] = v;
      }
    }
  }
}

}  // namespace fastconv
