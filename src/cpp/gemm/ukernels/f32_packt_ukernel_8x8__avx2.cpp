// f32_packt_ukernel_8x8__avx2 (AVX2): the transposing pack, in 8x8 (then 4x4) register
// transposes. Contract (same as f32_packt_ukernel_1x1__scalar, see gemm/ukernel.h):
//   dst[p * width + i] = src[i * ld + p]   for i < h, p < kc
//   dst[p * width + i] = 0                 for h <= i < width
// It packs A micro-panels from a row-major A and B micro-panels from a transposed B. The
// scalar loop writes one float per store with a stride of `width` floats, so packing a 32-wide
// B panel touched a new cache line on every store; here every store writes 8 (or 4)
// consecutive floats. No alignment requirements.
#include <immintrin.h>

#include <cstdint>

#include "gemm/ukernel.h"

namespace fastconv {
namespace {

// 8 rows x 8 depths from s (row stride ld) -> 8 depth rows of 8 floats at d (row stride w).
inline void transpose8x8(const float* s, int64_t ld, float* d, int64_t w) {
  const __m256 r0 = _mm256_loadu_ps(s), r1 = _mm256_loadu_ps(s + ld);
  const __m256 r2 = _mm256_loadu_ps(s + 2 * ld), r3 = _mm256_loadu_ps(s + 3 * ld);
  const __m256 r4 = _mm256_loadu_ps(s + 4 * ld), r5 = _mm256_loadu_ps(s + 5 * ld);
  const __m256 r6 = _mm256_loadu_ps(s + 6 * ld), r7 = _mm256_loadu_ps(s + 7 * ld);
  const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
  const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
  const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  _mm256_storeu_ps(d + 0 * w, _mm256_permute2f128_ps(u0, u4, 0x20));
  _mm256_storeu_ps(d + 1 * w, _mm256_permute2f128_ps(u1, u5, 0x20));
  _mm256_storeu_ps(d + 2 * w, _mm256_permute2f128_ps(u2, u6, 0x20));
  _mm256_storeu_ps(d + 3 * w, _mm256_permute2f128_ps(u3, u7, 0x20));
  _mm256_storeu_ps(d + 4 * w, _mm256_permute2f128_ps(u0, u4, 0x31));
  _mm256_storeu_ps(d + 5 * w, _mm256_permute2f128_ps(u1, u5, 0x31));
  _mm256_storeu_ps(d + 6 * w, _mm256_permute2f128_ps(u2, u6, 0x31));
  _mm256_storeu_ps(d + 7 * w, _mm256_permute2f128_ps(u3, u7, 0x31));
}

inline void transpose4x4(const float* s, int64_t ld, float* d, int64_t w) {
  __m128 r0 = _mm_loadu_ps(s), r1 = _mm_loadu_ps(s + ld);
  __m128 r2 = _mm_loadu_ps(s + 2 * ld), r3 = _mm_loadu_ps(s + 3 * ld);
  _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
  _mm_storeu_ps(d, r0);
  _mm_storeu_ps(d + w, r1);
  _mm_storeu_ps(d + 2 * w, r2);
  _mm_storeu_ps(d + 3 * w, r3);
}

}  // namespace

void f32_packt_ukernel_8x8__avx2(const float* src, int64_t ld, int h, int64_t kc, int width,
                                 float* dst) {
  int i = 0;
  for (; i + 8 <= h; i += 8) {
    const float* s = src + i * ld;
    float* d = dst + i;
    int64_t p = 0;
    for (; p + 8 <= kc; p += 8) transpose8x8(s + p, ld, d + p * width, width);
    for (; p < kc; ++p)
      for (int r = 0; r < 8; ++r) d[p * width + r] = s[r * ld + p];
  }
  for (; i + 4 <= h; i += 4) {
    const float* s = src + i * ld;
    float* d = dst + i;
    int64_t p = 0;
    for (; p + 4 <= kc; p += 4) transpose4x4(s + p, ld, d + p * width, width);
    for (; p < kc; ++p)
      for (int r = 0; r < 4; ++r) d[p * width + r] = s[r * ld + p];
  }
  for (; i < h; ++i) {
    const float* s = src + i * ld;
    for (int64_t p = 0; p < kc; ++p) dst[p * width + i] = s[p];
  }
  if (h < width)
    for (int64_t p = 0; p < kc; ++p)
      for (int r = h; r < width; ++r) dst[p * width + r] = 0.0f;
}

}  // namespace fastconv
