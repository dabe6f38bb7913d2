// f32_winograd4_kernel_ukernel_c16__avx512f: Winograd F(4x4, 3x3) kernel transform U = G g G^T
// for 16 filters at a time (two vectors of 8 doubles), in float64 and rounded once, like
// f32_winograd4_kernel_ukernel_c1__scalar. Multiplies by the reciprocals of 4, 6, 12 and 24
// where the scalar version divides: the scalar divisions cost 12% of the lab CNN's 7x7x64 ->
// 128 forward (63 double divisions per filter pair); here the transform is a few microseconds.
// The two differ by at most an ulp of float64 before the rounding to float32.
// Contract: conv/winograd_ukernel.h.
#include <immintrin.h>

#include "conv/winograd_ukernel.h"

namespace fastconv {
namespace {

// 3 -> 6 values: G x, on 8 lanes.
inline void g6(const __m512d x[3], __m512d y[6]) {
  const __m512d s = _mm512_add_pd(x[0], x[2]);
  const __m512d m6 = _mm512_set1_pd(-1.0 / 6.0);
  const __m512d a = _mm512_add_pd(_mm512_mul_pd(x[0], _mm512_set1_pd(1.0 / 24.0)),
                                  _mm512_mul_pd(x[2], _mm512_set1_pd(1.0 / 6.0)));
  const __m512d b = _mm512_mul_pd(x[1], _mm512_set1_pd(1.0 / 12.0));
  y[0] = _mm512_mul_pd(x[0], _mm512_set1_pd(0.25));
  y[1] = _mm512_mul_pd(_mm512_add_pd(s, x[1]), m6);
  y[2] = _mm512_mul_pd(_mm512_sub_pd(s, x[1]), m6);
  y[3] = _mm512_add_pd(a, b);
  y[4] = _mm512_sub_pd(a, b);
  y[5] = x[2];
}

// Up to 8 filters starting at j (mask: the lanes < n).
inline void block8(const float* g, int64_t tap_stride, float* u, int64_t ldu, __mmask16 mask) {
  __m512d t[6][3], col[3], out[6];
  for (int q = 0; q < 3; ++q) {  // columns: t = G g (6 x 3)
    for (int r = 0; r < 3; ++r)
      col[r] = _mm512_cvtps_pd(_mm512_castps512_ps256(
          _mm512_maskz_loadu_ps(mask, g + (r * 3 + q) * tap_stride)));
    g6(col, out);
    for (int i = 0; i < 6; ++i) t[i][q] = out[i];
  }
  for (int i = 0; i < 6; ++i) {  // rows: U = t G^T
    g6(t[i], out);
    for (int q = 0; q < 6; ++q)
      _mm512_mask_storeu_ps(u + (i * 6 + q) * ldu, mask,
                            _mm512_castps256_ps512(_mm512_cvtpd_ps(out[q])));
  }
}

}  // namespace

void f32_winograd4_kernel_ukernel_c16__avx512f(const float* g, int64_t tap_stride, int64_t n,
                                               float* u, int64_t ldu) {
  for (int64_t j = 0; j < n; j += 8) {
    const int64_t left = n - j;
    const __mmask16 mask = left >= 8 ? __mmask16(0xFF) : __mmask16((1u << left) - 1);
    block8(g + j, tap_stride, u + j, ldu, mask);
  }
}

}  // namespace fastconv
