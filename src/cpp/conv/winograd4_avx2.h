// The value type the F(4x4, 3x3) templates (conv/winograd4_math.h) run on in the AVX2 transform
// kernels: 8 floats, with separate multiply and add (no FMA contraction), like the scalar
// kernels' float and the AVX-512 kernels' Z. Include only from files compiled for AVX2.
#pragma once

#include <immintrin.h>

namespace fastconv {
namespace winograd4 {

struct Y8 {
  __m256 v;
};
inline Y8 operator+(Y8 a, Y8 b) { return {_mm256_add_ps(a.v, b.v)}; }
inline Y8 operator-(Y8 a, Y8 b) { return {_mm256_sub_ps(a.v, b.v)}; }
inline Y8 operator*(Y8 a, float s) { return {_mm256_mul_ps(a.v, _mm256_set1_ps(s))}; }

// Lanes i < n set (maskload/maskstore use the sign bit).
inline __m256i tail_mask8(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

}  // namespace winograd4
}  // namespace fastconv
