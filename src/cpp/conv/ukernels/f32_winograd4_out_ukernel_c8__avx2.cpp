// f32_winograd4_out_ukernel_c8__avx2: Winograd F(4x4, 3x3) output transform Y = A^T M A with
// the bias / ReLU epilogue, 8 filters per step, maskload/maskstore for the tail (nothing past f
// is read or written). The expressions are those of conv/winograd4_math.h, as in the scalar
// and AVX-512 kernels. Contract: conv/winograd_ukernel.h.
#include <immintrin.h>

#include "conv/winograd4_avx2.h"
#include "conv/winograd4_math.h"
#include "conv/winograd_ukernel.h"

namespace fastconv {
namespace {

using winograd4::Y8;

template <bool kTail>
inline void step(const float* m, int64_t ldm, int64_t j, __m256i mask, const float* bias,
                 bool relu, float* const* y) {
  Y8 t[24];
#pragma GCC unroll 6
  for (int q = 0; q < 6; ++q) {  // columns: t = A^T M (4 x 6)
    Y8 col[6], out[4];
#pragma GCC unroll 6
    for (int r = 0; r < 6; ++r) {
      const float* src = m + (r * 6 + q) * ldm + j;
      col[r].v = kTail ? _mm256_maskload_ps(src, mask) : _mm256_loadu_ps(src);
    }
    winograd4::at6(col, out);
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) t[i * 6 + q] = out[i];
  }
  const __m256 b = bias ? (kTail ? _mm256_maskload_ps(bias + j, mask) : _mm256_loadu_ps(bias + j))
                        : _mm256_setzero_ps();
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {  // rows: Y = t A
    Y8 out[4];
    winograd4::at6(t + i * 6, out);
#pragma GCC unroll 4
    for (int q = 0; q < 4; ++q) {
      __m256 val = bias ? _mm256_add_ps(out[q].v, b) : out[q].v;
      // max(0, v) returns v when v is NaN.
      if (relu) val = _mm256_max_ps(_mm256_setzero_ps(), val);
      float* dst = y[i * 4 + q] + j;
      if (kTail) _mm256_maskstore_ps(dst, mask, val);
      else _mm256_storeu_ps(dst, val);
    }
  }
}

}  // namespace

void f32_winograd4_out_ukernel_c8__avx2(const float* m, int64_t ldm, int64_t f,
                                        const float* bias, bool relu, float* const* y) {
  int64_t j = 0;
  for (; j + 8 <= f; j += 8) step<false>(m, ldm, j, _mm256_set1_epi32(-1), bias, relu, y);
  if (j < f) step<true>(m, ldm, j, winograd4::tail_mask8(f - j), bias, relu, y);
}

}  // namespace fastconv
