// f32_fmapeak_ukernel_8x4__scalar: 8 independent chains of 4 multiply-adds in portable code
// (the compiler may vectorise them at the baseline ISA). It is the "peak" of the scalar path,
// so scalar GEMM figures can be read against what portable code can reach. Writes sink[0..4).
// Flops per iteration: 8 chains x 4 lanes x 2.
#include <cstdint>

#include "gemm/ukernel.h"

namespace fastconv {

void f32_fmapeak_ukernel_8x4__scalar(int64_t iters, float* sink) {
  constexpr int kChains = 8, kLanes = 4;
  float acc[kChains][kLanes];
  for (int i = 0; i < kChains; ++i)
    for (int l = 0; l < kLanes; ++l) acc[i][l] = 0.001f * static_cast<float>(i * kLanes + l);
  const float mul = 0.9999999f, add = 1e-7f;
  for (int64_t it = 0; it < iters; ++it) {
    for (int i = 0; i < kChains; ++i)
      for (int l = 0; l < kLanes; ++l) acc[i][l] = acc[i][l] * mul + add;
  }
  for (int l = 0; l < kLanes; ++l) {
    float s = 0.0f;
    for (int i = 0; i < kChains; ++i) s += acc[i][l];
    sink[l] = s;
  }
}

}  // namespace fastconv
