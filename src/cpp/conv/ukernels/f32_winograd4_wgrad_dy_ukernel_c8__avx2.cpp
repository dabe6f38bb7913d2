// f32_winograd4_wgrad_dy_ukernel_c8__avx2: Winograd F(3x3, 4x4) dy transform E = A e A^T, 8
// filters per step, maskload/maskstore for the tail (nothing past f is read or written).
// Contract: conv/winograd_wgrad_ukernel.h (same expressions as the scalar and AVX-512 kernels).
#include <immintrin.h>

#include "conv/winograd4_avx2.h"
#include "conv/winograd4_wgrad_math.h"
#include "conv/winograd_wgrad_ukernel.h"

namespace fastconv {
namespace {

using winograd4::Y8;

template <bool kTail>
inline void step(const float* const* e, int64_t j, __m256i mask, float* out, int64_t ldo) {
  Y8 s[6][4];
#pragma GCC unroll 4
  for (int b = 0; b < 4; ++b) {
    Y8 x[4];
    for (int a = 0; a < 4; ++a)
      x[a].v = kTail ? _mm256_maskload_ps(e[a * 4 + b] + j, mask) : _mm256_loadu_ps(e[a * 4 + b] + j);
    Y8 y[6];
    winograd4_wgrad::a6(x, y);
    for (int r = 0; r < 6; ++r) s[r][b] = y[r];
  }
#pragma GCC unroll 6
  for (int r = 0; r < 6; ++r) {
    Y8 y[6];
    winograd4_wgrad::a6(s[r], y);
    for (int q = 0; q < 6; ++q) {
      float* p = out + (r * 6 + q) * ldo + j;
      if (kTail) _mm256_maskstore_ps(p, mask, y[q].v);
      else _mm256_storeu_ps(p, y[q].v);
    }
  }
}

}  // namespace

void f32_winograd4_wgrad_dy_ukernel_c8__avx2(const float* const* e, int64_t f, float* out,
                                             int64_t ldo) {
  int64_t j = 0;
  for (; j + 8 <= f; j += 8) step<false>(e, j, _mm256_set1_epi32(-1), out, ldo);
  if (j < f) step<true>(e, j, winograd4::tail_mask8(f - j), out, ldo);
}

}  // namespace fastconv
