// Inverted dropout, 8 elements per iteration, the counter-based hash of reference/dropout.py
// vectorised in 64-bit lanes (two ymm of 4 counters). Bit-identical to the scalar kernel (the
// mask is integer arithmetic modulo 2^64, y = x * scale one rounding either way), so the scalar
// tail is exact too.
//   * z0 = seed + (i + 1) * golden advances by adding 8 * golden per step (no multiply);
//   * AVX2 has no 64-bit low multiply: z * K = lo(z)*lo(K) + ((hi(z)*lo(K) + lo(z)*hi(K)) << 32)
//     from three 32x32->64 multiplies;
//   * the final z ^= z >> 31 cannot change z >> 40, so it is skipped; z >> 40 < 2^24 fits a
//     signed 32-bit lane, so the 8 results are packed to 32 bits and compared signed.
// Contract: nn/ukernel.h (DropoutFn).
#include <immintrin.h>

#include <cstring>

#include "nn/ukernel.h"

namespace fastconv {
namespace {

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ull;
constexpr uint64_t kMix1 = 0xBF58476D1CE4E5B9ull;
constexpr uint64_t kMix2 = 0x94D049BB133111EBull;

inline __m256i mul64(__m256i a, __m256i klo, __m256i khi) {
  const __m256i lo = _mm256_mul_epu32(a, klo);
  const __m256i cross = _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(a, 32), klo),
                                         _mm256_mul_epu32(a, khi));
  return _mm256_add_epi64(lo, _mm256_slli_epi64(cross, 32));
}

// hash(z0) >> 40 per 64-bit lane (the low 32 bits of each lane hold it, the high bits are 0).
inline __m256i top24(__m256i z) {
  const __m256i m1lo = _mm256_set1_epi64x(int64_t(kMix1 & 0xFFFFFFFFu));
  const __m256i m1hi = _mm256_set1_epi64x(int64_t(kMix1 >> 32));
  const __m256i m2lo = _mm256_set1_epi64x(int64_t(kMix2 & 0xFFFFFFFFu));
  const __m256i m2hi = _mm256_set1_epi64x(int64_t(kMix2 >> 32));
  z = mul64(_mm256_xor_si256(z, _mm256_srli_epi64(z, 30)), m1lo, m1hi);
  z = mul64(_mm256_xor_si256(z, _mm256_srli_epi64(z, 27)), m2lo, m2hi);
  return _mm256_srli_epi64(z, 40);
}

}  // namespace

void f32_dropout_ukernel_x8__avx2(size_t n, uint64_t first, uint64_t seed, uint64_t threshold,
                                  float scale, const float* x, float* y, uint8_t* mask) {
  const __m256i glo = _mm256_set1_epi64x(int64_t(kGolden & 0xFFFFFFFFu));
  const __m256i ghi = _mm256_set1_epi64x(int64_t(kGolden >> 32));
  __m256i z = _mm256_add_epi64(
      _mm256_set1_epi64x(int64_t(seed)),
      mul64(_mm256_add_epi64(_mm256_set1_epi64x(int64_t(first)), _mm256_setr_epi64x(1, 2, 3, 4)),
            glo, ghi));
  const __m256i step4 = _mm256_set1_epi64x(int64_t(4 * kGolden));
  // keep iff v >= threshold  <=>  v > threshold - 1 (threshold <= 2^24, so this fits int32)
  const __m256i thr_m1 = _mm256_set1_epi32(int32_t(threshold) - 1);
  const __m256i even = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
  const __m256 vscale = _mm256_set1_ps(scale);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i a = _mm256_permutevar8x32_epi32(top24(z), even);  // 4 values in the low half
    z = _mm256_add_epi64(z, step4);
    const __m256i b = _mm256_permutevar8x32_epi32(top24(z), even);
    z = _mm256_add_epi64(z, step4);
    const __m256i v = _mm256_permute2x128_si256(a, b, 0x20);  // a.lo | b.lo: elements i..i+7
    const __m256i keep = _mm256_cmpgt_epi32(v, thr_m1);
    _mm256_storeu_ps(y + i, _mm256_and_ps(_mm256_castsi256_ps(keep),
                                          _mm256_mul_ps(_mm256_loadu_ps(x + i), vscale)));
    // 0/1 per 32-bit lane -> 8 bytes
    const __m256i ones = _mm256_srli_epi32(keep, 31);
    const __m256i w16 = _mm256_packus_epi32(ones, ones);  // per 128-bit half: a0..a3 a0..a3
    const __m256i w8 = _mm256_packus_epi16(w16, w16);
    const uint32_t lo4 = uint32_t(_mm_cvtsi128_si32(_mm256_castsi256_si128(w8)));
    const uint32_t hi4 = uint32_t(_mm_cvtsi128_si32(_mm256_extracti128_si256(w8, 1)));
    const uint64_t bytes = uint64_t(lo4) | (uint64_t(hi4) << 32);
    std::memcpy(mask + i, &bytes, 8);
  }
  for (; i < n; ++i) {  // the same generator, one element at a time
    uint64_t h = seed + (first + i + 1) * kGolden;
    h = (h ^ (h >> 30)) * kMix1;
    h = (h ^ (h >> 27)) * kMix2;
    h = h ^ (h >> 31);
    const bool keep = (h >> 40) >= threshold;
    mask[i] = keep;
    y[i] = keep ? x[i] * scale : 0.0f;
  }
}

}  // namespace fastconv
