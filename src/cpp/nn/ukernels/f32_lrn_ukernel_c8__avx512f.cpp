// Local response normalisation over channels, 8 channels per zmm of doubles (the scalar kernel's
// precision): per pixel the squares go into a buffer with `r` zeros on each side, so the window
// of channels d..d+7 is the sum of 2r + 1 shifted loads (summed directly, as the scalar kernel,
// so a NaN or inf reaches exactly the channels whose window holds it); y = x * D^-beta with
// D^-beta from sqrt and a division for beta = 0.5, 0.75, 1 (the values LRN is used with), else
// std::pow per lane. The channel tail goes through a zero-padded local copy (masked float
// loads/stores of 8 lanes would need AVX-512VL). Contract: nn/ukernel.h (LrnFn).
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "nn/ukernel.h"

namespace fastconv {
namespace {

// D^-beta; mode 1: beta = 0.5, 2: 0.75, 3: 1, 0: any other beta.
inline __m512d neg_pow(__m512d d, int mode, double beta) {
  const __m512d one = _mm512_set1_pd(1.0);
  switch (mode) {
    case 1: return _mm512_div_pd(one, _mm512_sqrt_pd(d));
    case 2: {
      const __m512d s = _mm512_sqrt_pd(d);
      return _mm512_div_pd(one, _mm512_mul_pd(s, _mm512_sqrt_pd(s)));
    }
    case 3: return _mm512_div_pd(one, d);
    default: {
      alignas(64) double v[8];
      _mm512_store_pd(v, d);
      for (double& e : v) e = std::pow(e, -beta);
      return _mm512_load_pd(v);
    }
  }
}

inline __m512d load8(const float* p, size_t left) {
  if (left >= 8) return _mm512_cvtps_pd(_mm256_loadu_ps(p));
  alignas(32) float t[8] = {};
  std::memcpy(t, p, left * sizeof(float));
  return _mm512_cvtps_pd(_mm256_load_ps(t));
}

inline void store8(float* p, __m512d v, size_t left) {
  const __m256 f = _mm512_cvtpd_ps(v);
  if (left >= 8) {
    _mm256_storeu_ps(p, f);
  } else {
    alignas(32) float t[8];
    _mm256_store_ps(t, f);
    std::memcpy(p, t, left * sizeof(float));
  }
}

}  // namespace

void f32_lrn_ukernel_c8__avx512f(size_t pixels, size_t c, const float* x, float* y,
                                 int64_t radius, float bias, float alpha, float beta) {
  // A window never needs more than c channels on either side.
  const size_t r = size_t(std::min<int64_t>(radius, int64_t(c)));
  const int mode = beta == 0.5f ? 1 : beta == 0.75f ? 2 : beta == 1.0f ? 3 : 0;
  std::vector<double> buf(c + 2 * r + 8, 0.0);  // squares at [r, r + c), zeros around
  double* sq = buf.data() + r;
  const __m512d vbias = _mm512_set1_pd(bias), valpha = _mm512_set1_pd(alpha);
  for (size_t p = 0; p < pixels; ++p) {
    const float* xp = x + p * c;
    float* yp = y + p * c;
    for (size_t j = 0; j < c; j += 8) {  // tail lanes square 0s into the zero padding
      const __m512d xv = load8(xp + j, c - j);
      _mm512_storeu_pd(sq + j, _mm512_mul_pd(xv, xv));
    }
    for (size_t d = 0; d < c; d += 8) {
      __m512d s = _mm512_setzero_pd();
      const double* w = sq + d - r;
      for (size_t o = 0; o <= 2 * r; ++o) s = _mm512_add_pd(s, _mm512_loadu_pd(w + o));
      const __m512d pw = neg_pow(_mm512_fmadd_pd(valpha, s, vbias), mode, beta);
      store8(yp + d, _mm512_mul_pd(load8(xp + d, c - d), pw), c - d);
    }
  }
}

}  // namespace fastconv
