// f32_winograd4_in_ukernel_c16__avx512f: Winograd F(4x4, 3x3) input transform V = B^T d B, 16
// channels per step, masked tail (nothing past c is read or written). The expressions are
// those of conv/winograd4_math.h, as in the scalar kernel. Contract: conv/winograd_ukernel.h.
#include <immintrin.h>

#include "conv/winograd4_avx512.h"
#include "conv/winograd4_math.h"
#include "conv/winograd_ukernel.h"

namespace fastconv {
namespace {

using winograd4::Z;

template <bool kTail>
inline void step(const float* const* d, int64_t k, __mmask16 mask, float* v, int64_t ldv) {
  Z t[36];
#pragma GCC unroll 6
  for (int q = 0; q < 6; ++q) {  // columns: t = B^T d
    Z col[6], out[6];
#pragma GCC unroll 6
    for (int r = 0; r < 6; ++r)
      col[r].v = kTail ? _mm512_maskz_loadu_ps(mask, d[r * 6 + q] + k)
                       : _mm512_loadu_ps(d[r * 6 + q] + k);
    winograd4::bt6(col, out);
#pragma GCC unroll 6
    for (int i = 0; i < 6; ++i) t[i * 6 + q] = out[i];
  }
#pragma GCC unroll 6
  for (int i = 0; i < 6; ++i) {  // rows: V = t B
    Z out[6];
    winograd4::bt6(t + i * 6, out);
#pragma GCC unroll 6
    for (int j = 0; j < 6; ++j) {
      float* dst = v + (i * 6 + j) * ldv + k;
      if (kTail) _mm512_mask_storeu_ps(dst, mask, out[j].v);
      else _mm512_storeu_ps(dst, out[j].v);
    }
  }
}

}  // namespace

void f32_winograd4_in_ukernel_c16__avx512f(const float* const* d, int64_t c, float* v,
                                           int64_t ldv) {
  int64_t k = 0;
  for (; k + 16 <= c; k += 16) step<false>(d, k, 0xFFFF, v, ldv);
  if (k < c) step<true>(d, k, static_cast<__mmask16>((1u << (c - k)) - 1u), v, ldv);
}

}  // namespace fastconv
