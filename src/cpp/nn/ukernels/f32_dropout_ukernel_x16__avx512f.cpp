// Inverted dropout, 16 elements per iteration, the counter-based hash of reference/dropout.py
// vectorised in 64-bit lanes (two zmm of 8 counters). Bit-identical to the scalar kernel: the mask
// is integer arithmetic modulo 2^64 and y = x * scale is one rounding either way.
//   * z0 = seed + (i + 1) * golden is built by adding 8 * golden per vector step (the product is
//     only a sum of goldens modulo 2^64), so the first multiply disappears;
//   * AVX-512F has no 64-bit low multiply (that is AVX-512DQ), so z * K is assembled from three
//     32x32->64 multiplies: lo(z)*lo(K) + ((hi(z)*lo(K) + lo(z)*hi(K)) << 32);
//   * the final z ^= z >> 31 cannot change z >> 40 (it only touches bits below 33), so it is
//     skipped: keep iff (z >> 40) >= threshold after the second multiply.
// Tails use masked loads/stores. Contract: nn/ukernel.h (DropoutFn).
#include <immintrin.h>

#include "nn/ukernel.h"

namespace fastconv {
namespace {

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ull;
constexpr uint64_t kMix1 = 0xBF58476D1CE4E5B9ull;
constexpr uint64_t kMix2 = 0x94D049BB133111EBull;

// a * k modulo 2^64 per 64-bit lane; klo / khi hold k's halves in the low 32 bits of each lane.
inline __m512i mul64(__m512i a, __m512i klo, __m512i khi) {
  const __m512i lo = _mm512_mul_epu32(a, klo);
  const __m512i cross = _mm512_add_epi64(_mm512_mul_epu32(_mm512_srli_epi64(a, 32), klo),
                                         _mm512_mul_epu32(a, khi));
  return _mm512_add_epi64(lo, _mm512_slli_epi64(cross, 32));
}

// Lanes whose counter-based uniform is kept: (hash(z0) >> 40) >= threshold.
inline __mmask8 keep8(__m512i z, __m512i thr) {
  const __m512i m1lo = _mm512_set1_epi64(int64_t(kMix1 & 0xFFFFFFFFu));
  const __m512i m1hi = _mm512_set1_epi64(int64_t(kMix1 >> 32));
  const __m512i m2lo = _mm512_set1_epi64(int64_t(kMix2 & 0xFFFFFFFFu));
  const __m512i m2hi = _mm512_set1_epi64(int64_t(kMix2 >> 32));
  z = mul64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 30)), m1lo, m1hi);
  z = mul64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 27)), m2lo, m2hi);
  return _mm512_cmpge_epu64_mask(_mm512_srli_epi64(z, 40), thr);
}

}  // namespace

void f32_dropout_ukernel_x16__avx512f(size_t n, uint64_t first, uint64_t seed, uint64_t threshold,
                                      float scale, const float* x, float* y, uint8_t* mask) {
  const __m512i lane = _mm512_setr_epi64(1, 2, 3, 4, 5, 6, 7, 8);
  // z0 of lane j = seed + (first + j + 1) * golden (all modulo 2^64), built with mul64 once.
  const __m512i glo = _mm512_set1_epi64(int64_t(kGolden & 0xFFFFFFFFu));
  const __m512i ghi = _mm512_set1_epi64(int64_t(kGolden >> 32));
  __m512i z = _mm512_add_epi64(
      _mm512_set1_epi64(int64_t(seed)),
      mul64(_mm512_add_epi64(_mm512_set1_epi64(int64_t(first)), lane), glo, ghi));
  const __m512i step8 = _mm512_set1_epi64(int64_t(8 * kGolden));
  const __m512i thr = _mm512_set1_epi64(int64_t(threshold));
  const __m512 vscale = _mm512_set1_ps(scale);
  const __m512i one = _mm512_set1_epi32(1);
  for (size_t i = 0; i < n; i += 16) {
    const __mmask8 k_lo = keep8(z, thr);
    z = _mm512_add_epi64(z, step8);
    const __mmask8 k_hi = keep8(z, thr);
    z = _mm512_add_epi64(z, step8);
    const __mmask16 keep = _mm512_kunpackb(__mmask16(k_hi), __mmask16(k_lo));
    const __mmask16 live = n - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (n - i)) - 1);
    const __m512 xv = _mm512_maskz_loadu_ps(live, x + i);
    _mm512_mask_storeu_ps(y + i, live, _mm512_maskz_mul_ps(keep, xv, vscale));
    _mm512_mask_cvtepi32_storeu_epi8(mask + i, live, _mm512_maskz_mov_epi32(keep, one));
  }
}

}  // namespace fastconv
