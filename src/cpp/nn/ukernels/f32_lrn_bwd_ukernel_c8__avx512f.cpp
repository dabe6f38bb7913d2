// LRN backward, the exact derivative of the forward per pixel, 8 channels per zmm of doubles:
//   dx_j = dy_j D_j^-beta - 2 alpha beta x_j sum_{|d-j| <= r} dy_d x_d D_d^(-beta-1)
// Both window sums are direct sums of 2r + 1 shifted loads from zero-padded buffers (as the
// scalar kernel: NaN / inf reach exactly the channels whose window holds them); D^-beta from sqrt
// and a division for beta = 0.5, 0.75, 1, else std::pow per lane. The channel tail goes through
// zero-padded local copies. Contract: nn/ukernel.h (LrnBwdFn).
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "nn/ukernel.h"

namespace fastconv {
namespace {

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

void f32_lrn_bwd_ukernel_c8__avx512f(size_t pixels, size_t c, const float* x, const float* dy,
                                     float* dx, int64_t radius, float bias, float alpha,
                                     float beta) {
  const size_t r = size_t(std::min<int64_t>(radius, int64_t(c)));
  const int mode = beta == 0.5f ? 1 : beta == 0.75f ? 2 : beta == 1.0f ? 3 : 0;
  // squares and dy x D^(-beta-1) at [r, r + c) with zeros around; D^-beta per channel
  std::vector<double> sq_buf(c + 2 * r + 8, 0.0), t_buf(c + 2 * r + 8, 0.0), dpow(c + 8);
  double* sq = sq_buf.data() + r;
  double* t = t_buf.data() + r;
  const __m512d vbias = _mm512_set1_pd(bias), valpha = _mm512_set1_pd(alpha);
  const __m512d k = _mm512_set1_pd(2.0 * double(alpha) * double(beta));
  for (size_t p = 0; p < pixels; ++p) {
    const float* xp = x + p * c;
    const float* gp = dy + p * c;
    float* dp = dx + p * c;
    for (size_t j = 0; j < c; j += 8) {
      const __m512d xv = load8(xp + j, c - j);
      _mm512_storeu_pd(sq + j, _mm512_mul_pd(xv, xv));
    }
    for (size_t d = 0; d < c; d += 8) {
      __m512d s = _mm512_setzero_pd();
      const double* w = sq + d - r;
      for (size_t o = 0; o <= 2 * r; ++o) s = _mm512_add_pd(s, _mm512_loadu_pd(w + o));
      const __m512d den = _mm512_fmadd_pd(valpha, s, vbias);
      const __m512d pw = neg_pow(den, mode, beta);
      _mm512_storeu_pd(dpow.data() + d, pw);
      const __m512d tv = _mm512_div_pd(
          _mm512_mul_pd(_mm512_mul_pd(load8(gp + d, c - d), load8(xp + d, c - d)), pw), den);
      // only real channels: the padding must stay 0 (a tail lane could hold 0 * inf = NaN)
      const __mmask8 live = c - d >= 8 ? __mmask8(0xFF) : __mmask8((1u << (c - d)) - 1);
      _mm512_mask_storeu_pd(t + d, live, tv);
    }
    for (size_t j = 0; j < c; j += 8) {
      __m512d cross = _mm512_setzero_pd();
      const double* w = t + j - r;
      for (size_t o = 0; o <= 2 * r; ++o) cross = _mm512_add_pd(cross, _mm512_loadu_pd(w + o));
      const __m512d g = _mm512_mul_pd(load8(gp + j, c - j), _mm512_loadu_pd(dpow.data() + j));
      store8(dp + j, _mm512_fnmadd_pd(_mm512_mul_pd(k, load8(xp + j, c - j)), cross, g), c - j);
    }
  }
}

}  // namespace fastconv
