// f32_packt_ukernel_1x1__scalar: the portable transposing pack (any CPU) and the reference the
// SIMD versions are tested against. Packs `h` rows of a row-major matrix into a k-major
// micro-panel of `width` columns:
//   dst[p * width + i] = src[i * ld + p]   for i < h, p < kc
//   dst[p * width + i] = 0                 for h <= i < width
// (A micro-panels from a row-major A, B micro-panels from a transposed B). Each source row is
// read contiguously. No alignment requirements.
#include <cstdint>

#include "gemm/ukernel.h"

namespace fastconv {

void f32_packt_ukernel_1x1__scalar(const float* src, int64_t ld, int h, int64_t kc, int width,
                                   float* dst) {
  for (int i = 0; i < h; ++i) {
    const float* s = src + i * ld;
    for (int64_t p = 0; p < kc; ++p) dst[p * width + i] = s[p];
  }
  for (int i = h; i < width; ++i)
    for (int64_t p = 0; p < kc; ++p) dst[p * width + i] = 0.0f;
}

}  // namespace fastconv
