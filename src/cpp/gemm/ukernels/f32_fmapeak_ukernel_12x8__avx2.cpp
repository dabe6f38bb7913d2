// f32_fmapeak_ukernel_12x8__avx2: 12 independent chains of 8-lane FMAs, no memory traffic.
// 12 chains cover FMA latency (4-5 cycles) x 2 FMA ports. Writes sink[0..8).
// Flops per iteration: 12 chains x 8 lanes x 2.
#include <immintrin.h>

#include <cstdint>

#include "gemm/ukernel.h"

namespace fastconv {

void f32_fmapeak_ukernel_12x8__avx2(int64_t iters, float* sink) {
  constexpr int kChains = 12;
  __m256 acc[kChains];
#pragma GCC unroll 12
  for (int i = 0; i < kChains; ++i) acc[i] = _mm256_set1_ps(0.001f * static_cast<float>(i));
  const __m256 mul = _mm256_set1_ps(0.9999999f), add = _mm256_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i) acc[i] = _mm256_fmadd_ps(acc[i], mul, add);
  }
  __m256 s = acc[0];
#pragma GCC unroll 12
  for (int i = 1; i < kChains; ++i) s = _mm256_add_ps(s, acc[i]);
  _mm256_storeu_ps(sink, s);
}

}  // namespace fastconv
