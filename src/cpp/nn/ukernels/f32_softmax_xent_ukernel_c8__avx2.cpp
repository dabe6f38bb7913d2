// One row of fused softmax cross-entropy, 8 classes per ymm, log-sum-exp as the scalar kernel:
// e_j = exp8(z_j - max) (exp only sees values <= 0, so logits of +-1e4 stay finite) is parked in
// dz and its sum is accumulated in double lanes (long rows stay accurate); lse = log(sum) and the
// loss -sum t_j ((z_j - max) - lse) in double, dz = e * (scale / sum) - t * scale. The class
// tail uses maskload/maskstore (masked lanes enter the max as -inf and the sum as 0).
// Error: exp8 <= 1.5 * 2^-24 relative (exp_avx2.h), so every e_j, the sum and dz_j stay within
// ~3.5 * 2^-24 relative of the float64 reference, and lse within ~1.5 * 2^-24 absolute.
// Contract: nn/ukernel.h (SoftmaxXentFn).
#include <immintrin.h>

#include <cmath>

#include "nn/ukernel.h"
#include "nn/ukernels/exp_avx2.h"

namespace fastconv {
namespace {

inline float hmax8(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

inline __m256d add_halves(__m256d acc_lo, __m256 e, __m256d* acc_hi) {
  *acc_hi = _mm256_add_pd(*acc_hi, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
  return _mm256_add_pd(acc_lo, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
}

}  // namespace

double f32_softmax_xent_ukernel_c8__avx2(size_t k, const float* z, const float* t, int64_t label,
                                         float scale, float* dz) {
  const size_t full = k & ~size_t(7);
  const bool has_tail = full < k;
  const __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32(int(k - full)),
                                          _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  const __m256 tailf = _mm256_castsi256_ps(tail);
  const __m256 neg_inf = _mm256_set1_ps(-__builtin_inff());
  __m256 vmax = neg_inf;
  size_t j = 0;
  for (; j < full; j += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(z + j));
  if (has_tail)
    vmax = _mm256_max_ps(vmax, _mm256_blendv_ps(neg_inf, _mm256_maskload_ps(z + j, tail), tailf));
  const float mx = hmax8(vmax);
  const __m256 vmx = _mm256_set1_ps(mx);
  __m256d s_lo = _mm256_setzero_pd(), s_hi = _mm256_setzero_pd();
  for (j = 0; j < full; j += 8) {
    const __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(z + j), vmx));
    _mm256_storeu_ps(dz + j, e);
    s_lo = add_halves(s_lo, e, &s_hi);
  }
  if (has_tail) {
    const __m256 e = _mm256_and_ps(tailf, exp8(_mm256_sub_ps(_mm256_maskload_ps(z + j, tail), vmx)));
    _mm256_maskstore_ps(dz + j, tail, e);
    s_lo = add_halves(s_lo, e, &s_hi);
  }
  const __m256d s = _mm256_add_pd(s_lo, s_hi);
  __m128d s2 = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
  const double sum = _mm_cvtsd_f64(_mm_add_sd(s2, _mm_unpackhi_pd(s2, s2)));
  const double lse = std::log(sum);
  const __m256 p_scale = _mm256_set1_ps(float(double(scale) / sum));
  double loss = 0.0;
  if (t != nullptr) {
    const __m256 vscale = _mm256_set1_ps(scale);
    for (j = 0; j < full; j += 8)
      _mm256_storeu_ps(dz + j, _mm256_fmsub_ps(_mm256_loadu_ps(dz + j), p_scale,
                                               _mm256_mul_ps(_mm256_loadu_ps(t + j), vscale)));
    if (has_tail)
      _mm256_maskstore_ps(dz + j, tail,
                          _mm256_fmsub_ps(_mm256_maskload_ps(dz + j, tail), p_scale,
                                          _mm256_mul_ps(_mm256_maskload_ps(t + j, tail), vscale)));
    for (j = 0; j < k; ++j)
      if (t[j] != 0.0f) loss -= double(t[j]) * ((double(z[j]) - double(mx)) - lse);
  } else {
    for (j = 0; j < full; j += 8) _mm256_storeu_ps(dz + j, _mm256_mul_ps(_mm256_loadu_ps(dz + j), p_scale));
    if (has_tail)
      _mm256_maskstore_ps(dz + j, tail, _mm256_mul_ps(_mm256_maskload_ps(dz + j, tail), p_scale));
    loss = -((double(z[label]) - double(mx)) - lse);
    dz[label] -= scale;
  }
  return loss;
}

}  // namespace fastconv
