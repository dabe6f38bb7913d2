// f32_winograd4_wgrad_dy_ukernel_c16__avx512f: Winograd F(3x3, 4x4) dy transform E = A e A^T,
// 16 filters per step, masked for the tail (nothing past f is read or written).
// Contract: conv/winograd_wgrad_ukernel.h (same expressions as the scalar kernel).
#include <immintrin.h>

#include "conv/winograd4_wgrad_math.h"
#include "conv/winograd_wgrad_ukernel.h"

namespace fastconv {
namespace {

// __m512 with the operators winograd4_wgrad::a6 needs.
struct V16 {
  __m512 v;
};
inline V16 operator+(V16 a, V16 b) { return {_mm512_add_ps(a.v, b.v)}; }
inline V16 operator-(V16 a, V16 b) { return {_mm512_sub_ps(a.v, b.v)}; }
inline V16 operator*(V16 a, float s) { return {_mm512_mul_ps(a.v, _mm512_set1_ps(s))}; }

template <bool kTail>
inline void step(const float* const* e, int64_t j, __mmask16 mask, float* out, int64_t ldo) {
  V16 s[6][4];
#pragma GCC unroll 4
  for (int b = 0; b < 4; ++b) {
    V16 x[4];
    for (int a = 0; a < 4; ++a)
      x[a].v = kTail ? _mm512_maskz_loadu_ps(mask, e[a * 4 + b] + j) : _mm512_loadu_ps(e[a * 4 + b] + j);
    V16 y[6];
    winograd4_wgrad::a6(x, y);
    for (int r = 0; r < 6; ++r) s[r][b] = y[r];
  }
#pragma GCC unroll 6
  for (int r = 0; r < 6; ++r) {
    V16 y[6];
    winograd4_wgrad::a6(s[r], y);
    for (int q = 0; q < 6; ++q) {
      float* p = out + (r * 6 + q) * ldo + j;
      if (kTail) _mm512_mask_storeu_ps(p, mask, y[q].v);
      else _mm512_storeu_ps(p, y[q].v);
    }
  }
}

}  // namespace

void f32_winograd4_wgrad_dy_ukernel_c16__avx512f(const float* const* e, int64_t f, float* out,
                                                 int64_t ldo) {
  int64_t j = 0;
  for (; j + 16 <= f; j += 16) step<false>(e, j, 0xFFFF, out, ldo);
  if (j < f) step<true>(e, j, static_cast<__mmask16>((1u << (f - j)) - 1u), out, ldo);
}

}  // namespace fastconv
