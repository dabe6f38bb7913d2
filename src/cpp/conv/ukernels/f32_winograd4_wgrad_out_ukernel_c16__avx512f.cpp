// f32_winograd4_wgrad_out_ukernel_c16__avx512f: Winograd F(3x3, 4x4) output transform
// dW = (24 G^T) m (24 G^T)^T / 576, 16 filters per step as two halves of 8 in float64, masked for
// the tail. Contract: conv/winograd_wgrad_ukernel.h (same float64 expressions as the scalar
// kernel, so the result is identical on every ISA).
#include <immintrin.h>

#include "conv/winograd4_wgrad_math.h"
#include "conv/winograd_wgrad_ukernel.h"

namespace fastconv {
namespace {

struct V8d {
  __m512d v;
};
inline V8d operator+(V8d a, V8d b) { return {_mm512_add_pd(a.v, b.v)}; }
inline V8d operator-(V8d a, V8d b) { return {_mm512_sub_pd(a.v, b.v)}; }
inline V8d operator*(V8d a, double s) { return {_mm512_mul_pd(a.v, _mm512_set1_pd(s))}; }

// 8 filters (mask: lanes < n) from m + j into w + j.
// (AVX-512F only: 8-float loads / stores go through masked zmm operations.)
inline void half(const float* m, int64_t ldm, int64_t j, __mmask16 mask, float* w,
                 int64_t tap_stride) {
  V8d t[3][6];
#pragma GCC unroll 6
  for (int q = 0; q < 6; ++q) {
    V8d x[6], y[3];
    for (int r = 0; r < 6; ++r)
      x[r].v = _mm512_cvtps_pd(
          _mm512_castps512_ps256(_mm512_maskz_loadu_ps(mask, m + (r * 6 + q) * ldm + j)));
    winograd4_wgrad::gt6(x, y);
    for (int k = 0; k < 3; ++k) t[k][q] = y[k];
  }
#pragma GCC unroll 3
  for (int k = 0; k < 3; ++k) {
    V8d y[3];
    winograd4_wgrad::gt6(t[k], y);
    for (int l = 0; l < 3; ++l)
      _mm512_mask_storeu_ps(w + (k * 3 + l) * tap_stride + j, mask,
                            _mm512_castps256_ps512(_mm512_cvtpd_ps(
                                _mm512_div_pd(y[l].v, _mm512_set1_pd(576.0)))));
  }
}

}  // namespace

void f32_winograd4_wgrad_out_ukernel_c16__avx512f(const float* m, int64_t ldm, int64_t f,
                                                  float* w, int64_t tap_stride) {
  for (int64_t j = 0; j < f; j += 8) {
    const int64_t n = f - j < 8 ? f - j : 8;
    half(m, ldm, j, static_cast<__mmask16>((1u << n) - 1u), w, tap_stride);
  }
}

}  // namespace fastconv
