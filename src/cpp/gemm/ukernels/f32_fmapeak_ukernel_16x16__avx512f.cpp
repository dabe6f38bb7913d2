// f32_fmapeak_ukernel_16x16__avx512f: 16 independent chains of 16-lane FMAs, no memory
// traffic. 16 chains cover FMA latency (4 cycles) x 2 FMA ports with room to spare, so the
// loop runs at the core's FMA throughput. Writes the accumulators to sink[0..16) so the work
// cannot be optimised away. Flops per iteration: 16 chains x 16 lanes x 2.
#include <immintrin.h>

#include <cstdint>

#include "gemm/ukernel.h"

namespace fastconv {

void f32_fmapeak_ukernel_16x16__avx512f(int64_t iters, float* sink) {
  constexpr int kChains = 16;
  __m512 acc[kChains];
#pragma GCC unroll 16
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(0.001f * static_cast<float>(i));
  // x*1 + 0 would be folded by nothing (FMA is not reassociated), but keep the values finite.
  const __m512 mul = _mm512_set1_ps(0.9999999f), add = _mm512_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 16
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], mul, add);
  }
  __m512 s = acc[0];
#pragma GCC unroll 16
  for (int i = 1; i < kChains; ++i) s = _mm512_add_ps(s, acc[i]);
  _mm512_storeu_ps(sink, s);
}

}  // namespace fastconv
