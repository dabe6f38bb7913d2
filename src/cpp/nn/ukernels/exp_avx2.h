// Vectorised float exp for the __avx2 softmax kernels. Include ONLY from *__avx2.cpp files: the
// helper is compiled with -mavx2 -mfma and lives in an anonymous namespace (internal linkage).
//
// Same range reduction and polynomial as exp_avx512f.h (see there); 2^n is applied as two
// multiplies by 2^(n >> 1) and 2^(n - (n >> 1)), both normal for n in [-150, 128], so the one
// rounding into the subnormal range happens in the last multiply. Same measured bound:
// |exp8(x) - e^x| <= 1.5 * 2^-24 * e^x + 2^-149 (max 1.42 * 2^-24 relative for normal results).
// Inputs clamped to [-104, 89]; NaN in -> NaN out; -inf -> 0; +inf -> inf.
#pragma once

#include <immintrin.h>

namespace fastconv {
namespace {

inline __m256 exp8(__m256 x) {
  const float kLog2e = 1.44269504088896341f;
  const float kLn2Hi = 0.693145751953125f;
  const float kLn2Lo = 1.42860682030941723e-6f;
  x = _mm256_max_ps(_mm256_set1_ps(-104.0f), x);  // NaN stays NaN (second operand)
  x = _mm256_min_ps(_mm256_set1_ps(89.0f), x);
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(kLog2e)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Hi), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Lo), r);
  __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(1.381462556e-03f), r, _mm256_set1_ps(8.368710056e-03f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.166838899e-02f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.666652113e-01f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.999999404e-01f));
  const __m256 e = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
  const __m256i ni = _mm256_cvtps_epi32(n);  // NaN -> INT_MIN, harmless: e is NaN
  const __m256i n1 = _mm256_srai_epi32(ni, 1), n2 = _mm256_sub_epi32(ni, n1);
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
  const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
  return _mm256_mul_ps(_mm256_mul_ps(e, s1), s2);
}

}  // namespace
}  // namespace fastconv
