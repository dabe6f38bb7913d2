// f32_winograd4_in_ukernel_c8__avx2: Winograd F(4x4, 3x3) input transform V = B^T d B, 8
// channels per step, maskload/maskstore for the tail (nothing past c is read or written). The
// expressions are those of conv/winograd4_math.h, as in the scalar and AVX-512 kernels.
// Contract: conv/winograd_ukernel.h.
#include <immintrin.h>

#include "conv/winograd4_avx2.h"
#include "conv/winograd4_math.h"
#include "conv/winograd_ukernel.h"

namespace fastconv {
namespace {

using winograd4::Y8;

template <bool kTail>
inline void step(const float* const* d, int64_t k, __m256i mask, float* v, int64_t ldv) {
  Y8 t[36];
#pragma GCC unroll 6
  for (int q = 0; q < 6; ++q) {  // columns: t = B^T d
    Y8 col[6], out[6];
#pragma GCC unroll 6
    for (int r = 0; r < 6; ++r)
      col[r].v = kTail ? _mm256_maskload_ps(d[r * 6 + q] + k, mask)
                       : _mm256_loadu_ps(d[r * 6 + q] + k);
    winograd4::bt6(col, out);
#pragma GCC unroll 6
    for (int i = 0; i < 6; ++i) t[i * 6 + q] = out[i];
  }
#pragma GCC unroll 6
  for (int i = 0; i < 6; ++i) {  // rows: V = t B
    Y8 out[6];
    winograd4::bt6(t + i * 6, out);
#pragma GCC unroll 6
    for (int j = 0; j < 6; ++j) {
      float* dst = v + (i * 6 + j) * ldv + k;
      if (kTail) _mm256_maskstore_ps(dst, mask, out[j].v);
      else _mm256_storeu_ps(dst, out[j].v);
    }
  }
}

}  // namespace

void f32_winograd4_in_ukernel_c8__avx2(const float* const* d, int64_t c, float* v,
                                       int64_t ldv) {
  int64_t k = 0;
  for (; k + 8 <= c; k += 8) step<false>(d, k, _mm256_set1_epi32(-1), v, ldv);
  if (k < c) step<true>(d, k, winograd4::tail_mask8(c - k), v, ldv);
}

}  // namespace fastconv
