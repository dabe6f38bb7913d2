// Column sums of a (rows, c) block, 64 channels (4 zmm accumulators) per pass over the rows;
// the last pass masks its channel tail (masked-off lanes load 0 and are never stored). Each
// channel is still summed in row order, one add per row, as the scalar kernel does.
// Contract: nn/ukernel.h (ColSumFn).
#include <immintrin.h>

#include "nn/ukernel.h"

namespace fastconv {
namespace {

inline __mmask16 lanes(size_t left) {
  return left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1);
}

// Channels [0, min(left, 16 * NV)) of x (row stride c); NV = ceil(min(left, 64) / 16).
template <int NV>
inline void colsum_block(size_t rows, size_t c, const float* x, float* sum, size_t left) {
  __mmask16 m[NV];
  __m512 s[NV];
  for (int v = 0; v < NV; ++v) m[v] = lanes(left - 16 * v), s[v] = _mm512_setzero_ps();
  for (size_t r = 0; r < rows; ++r, x += c)
    for (int v = 0; v < NV; ++v) s[v] = _mm512_add_ps(s[v], _mm512_maskz_loadu_ps(m[v], x + 16 * v));
  for (int v = 0; v < NV; ++v) _mm512_mask_storeu_ps(sum + 16 * v, m[v], s[v]);
}

}  // namespace

void f32_colsum_ukernel_c64__avx512f(size_t rows, size_t c, const float* x, float* sum) {
  for (size_t k = 0; k < c; k += 64) {
    const size_t left = c - k;
    if (left > 48) colsum_block<4>(rows, c, x + k, sum + k, left);
    else if (left > 32) colsum_block<3>(rows, c, x + k, sum + k, left);
    else if (left > 16) colsum_block<2>(rows, c, x + k, sum + k, left);
    else colsum_block<1>(rows, c, x + k, sum + k, left);
  }
}

}  // namespace fastconv
