// Inverted dropout with the counter-based generator specified in reference/dropout.py
// (splitmix64 finaliser of seed + (i + 1) * golden ratio): element i's fate depends only on
// (seed, i), so the mask is the same for any thread split. u = (z >> 40) * 2^-24 >= rate is
// decided on the integer (z >> 40) >= ceil(rate * 2^24), which is exactly equivalent.
// Contract: nn/ukernel.h (DropoutFn).
#include "nn/ukernel.h"

namespace fastconv {

void f32_dropout_ukernel_x1__scalar(size_t n, uint64_t first, uint64_t seed, uint64_t threshold,
                                    float scale, const float* x, float* y, uint8_t* mask) {
  for (size_t i = 0; i < n; ++i) {
    uint64_t z = seed + (first + i + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z = z ^ (z >> 31);
    const bool keep = (z >> 40) >= threshold;
    mask[i] = keep;
    y[i] = keep ? x[i] * scale : 0.0f;
  }
}

}  // namespace fastconv
