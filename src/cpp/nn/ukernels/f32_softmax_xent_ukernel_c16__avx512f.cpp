// One row of fused softmax cross-entropy, 16 classes per zmm, log-sum-exp as the scalar kernel:
// e_j = exp16(z_j - max) (exp only sees values <= 0, so logits of +-1e4 stay finite) is parked in
// dz and its sum is accumulated in double lanes (long rows stay accurate); lse = log(sum) and the
// loss -sum t_j ((z_j - max) - lse) in double, dz = e * (scale / sum) - t * scale.
// Error: exp16 <= 1.5 * 2^-24 relative (exp_avx512f.h), so every e_j, the sum and dz_j stay
// within ~3.5 * 2^-24 relative of the float64 reference, and lse within ~1.5 * 2^-24 absolute.
// Contract: nn/ukernel.h (SoftmaxXentFn).
#include <immintrin.h>

#include <cmath>

#include "nn/ukernel.h"
#include "nn/ukernels/exp_avx512f.h"

namespace fastconv {
namespace {

inline __m512d add_halves(__m512d acc_lo, __m512 e, __m512d* acc_hi) {
  *acc_hi = _mm512_add_pd(
      *acc_hi, _mm512_cvtps_pd(_mm256_castsi256_ps(_mm512_extracti64x4_epi64(_mm512_castps_si512(e), 1))));
  return _mm512_add_pd(acc_lo, _mm512_cvtps_pd(_mm512_castps512_ps256(e)));
}

}  // namespace

double f32_softmax_xent_ukernel_c16__avx512f(size_t k, const float* z, const float* t,
                                             int64_t label, float scale, float* dz) {
  const size_t full = k & ~size_t(15);
  const __mmask16 tail = __mmask16((1u << (k - full)) - 1);
  __m512 vmax = _mm512_set1_ps(-__builtin_inff());
  size_t j = 0;
  for (; j < full; j += 16) vmax = _mm512_max_ps(vmax, _mm512_loadu_ps(z + j));
  if (tail) vmax = _mm512_mask_max_ps(vmax, tail, vmax, _mm512_maskz_loadu_ps(tail, z + j));
  const float mx = _mm512_reduce_max_ps(vmax);
  const __m512 vmx = _mm512_set1_ps(mx);
  __m512d s_lo = _mm512_setzero_pd(), s_hi = _mm512_setzero_pd();
  for (j = 0; j < full; j += 16) {
    const __m512 e = exp16(_mm512_sub_ps(_mm512_loadu_ps(z + j), vmx));
    _mm512_storeu_ps(dz + j, e);
    s_lo = add_halves(s_lo, e, &s_hi);
  }
  if (tail) {
    const __m512 e = _mm512_maskz_mov_ps(tail, exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(tail, z + j), vmx)));
    _mm512_mask_storeu_ps(dz + j, tail, e);
    s_lo = add_halves(s_lo, e, &s_hi);
  }
  const double sum = _mm512_reduce_add_pd(_mm512_add_pd(s_lo, s_hi));
  const double lse = std::log(sum);
  const __m512 p_scale = _mm512_set1_ps(float(double(scale) / sum));
  double loss = 0.0;
  if (t != nullptr) {
    const __m512 vscale = _mm512_set1_ps(scale);
    for (j = 0; j < full; j += 16)
      _mm512_storeu_ps(dz + j, _mm512_fmsub_ps(_mm512_loadu_ps(dz + j), p_scale,
                                               _mm512_mul_ps(_mm512_loadu_ps(t + j), vscale)));
    if (tail)
      _mm512_mask_storeu_ps(dz + j, tail,
                            _mm512_fmsub_ps(_mm512_maskz_loadu_ps(tail, dz + j), p_scale,
                                            _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, t + j), vscale)));
    for (j = 0; j < k; ++j)
      if (t[j] != 0.0f) loss -= double(t[j]) * ((double(z[j]) - double(mx)) - lse);
  } else {
    for (j = 0; j < full; j += 16) _mm512_storeu_ps(dz + j, _mm512_mul_ps(_mm512_loadu_ps(dz + j), p_scale));
    if (tail)
      _mm512_mask_storeu_ps(dz + j, tail, _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, dz + j), p_scale));
    loss = -((double(z[label]) - double(mx)) - lse);
    dz[label] -= scale;
  }
  return loss;
}

}  // namespace fastconv
