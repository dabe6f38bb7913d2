// The lane gather shared by the AVX2 4-tile panel kernels (f32_winograd_wgrad_in/dy_ukernel_4x6
// and f32_winograd4_wgrad_in_ukernel_4x6, conv/winograd_wgrad_ukernel.h): a 6-wide slice of
// channels (or filters) of 4 tiles is written as 4 x 6 = 24 contiguous floats, 3 ymm vectors.
// Vector j covers panel floats [8 j, 8 j + 8): tile (8 j + l) / 6, channel (8 j + l) % 6, i.e.
// vector 0: tile 0 ch 0-5 | tile 1 ch 0-1;  vector 1: tile 1 ch 2-5 | tile 2 ch 0-3;
// vector 2: tile 2 ch 4-5 | tile 3 ch 0-5. Lanes [0, a) come from tile j at channel offset oa,
// lanes [a, 8) from tile j + 1 at offset ob (both relative to the pointers' channel 0); lanes
// past the slice's n valid channels are masked out, so they load as zero. The two masks are
// disjoint, so OR-ing the two masked loads joins them exactly. Include only from AVX2 files.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace fastconv {

struct Panel4x6Lanes {
  __m256i ma, mb;  // lanes from tile j / tile j + 1
  int64_t oa, ob;  // their channel offsets
};

// Vector j (0..2) of the slice starting at channel c0 with n valid channels.
inline Panel4x6Lanes panel4x6_lanes(int j, int64_t c0, int64_t n) {
  static constexpr int kA[3] = {6, 4, 2};
  static constexpr int64_t kFirst[3] = {0, 2, 4};
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i va = _mm256_set1_epi32(kA[j]);
  Panel4x6Lanes p;
  p.ma = _mm256_and_si256(
      _mm256_cmpgt_epi32(va, lane),
      _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n - kFirst[j])), lane));
  p.mb = _mm256_andnot_si256(
      _mm256_cmpgt_epi32(va, lane),
      _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n + kA[j])), lane));
  p.oa = c0 + kFirst[j];
  p.ob = c0 - kA[j];
  return p;
}

// One vector of the panel: lanes gathered from the two tiles' pointers.
inline __m256 panel4x6_load(const float* pa, const float* pb, const Panel4x6Lanes& p) {
  return _mm256_or_ps(_mm256_maskload_ps(pa + p.oa, p.ma), _mm256_maskload_ps(pb + p.ob, p.mb));
}

}  // namespace fastconv
