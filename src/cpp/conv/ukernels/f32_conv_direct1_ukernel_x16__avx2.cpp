// f32_conv_direct1_ukernel_x16__avx2. Contract: conv/conv_ukernel.h.
// 16 filters as two ymm per tap. Unlike the AVX-512 kernel the weights do not stay in registers
// (9 taps x 2 ymm would take all 16): they are read from L1 per tap, shared by 4 pixels in
// flight, whose 8 accumulators are 8 independent FMA chains (enough to cover the FMA latency on
// two ports). Per 4 pixels and tap: 2 weight loads, 4 broadcasts, 8 FMAs. Columns past n are
// neither read nor written (masked loads and stores).
#include <immintrin.h>

#include "conv/conv_ukernel.h"

namespace fastconv {
namespace {

inline __m256i lane_mask(int n) {  // lanes j < n set, n in [0, 8]
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), idx);
}

template <int T, bool kFull>
void row(int64_t npix, const float* x, int64_t xs, const int64_t* tap_off, const float* w,
         int64_t ldw, const float* bias, bool relu, float* y, int64_t ldy, int n) {
  const __m256i m0 = lane_mask(n >= 8 ? 8 : n), m1 = lane_mask(n >= 16 ? 8 : n > 8 ? n - 8 : 0);
  auto load = [&](const float* p, __m256i m) {
    return kFull ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, m);
  };
  auto store = [&](float* p, __m256i m, __m256 v) {
    if (kFull) _mm256_storeu_ps(p, v);
    else _mm256_maskstore_ps(p, m, v);
  };
  int64_t off[T];
#pragma GCC unroll 9
  for (int t = 0; t < T; ++t) off[t] = tap_off[t];
  const __m256 zero = _mm256_setzero_ps();
  const __m256 b0 = bias ? load(bias, m0) : zero;
  const __m256 b1 = bias ? load(bias + 8, m1) : zero;
  auto finish = [&](__m256 a, __m256 b) {
    __m256 r = _mm256_add_ps(a, b);
    return relu ? _mm256_max_ps(zero, r) : r;  // max(0, NaN) = NaN: NaN passes through
  };
  constexpr int P = 4;
  int64_t i = 0;
  for (; i + P <= npix; i += P, x += P * xs, y += P * ldy) {
    __m256 a0[P], a1[P];
#pragma GCC unroll 4
    for (int q = 0; q < P; ++q) a0[q] = a1[q] = zero;
#pragma GCC unroll 9
    for (int t = 0; t < T; ++t) {
      const __m256 w0 = load(w + t * ldw, m0), w1 = load(w + t * ldw + 8, m1);
#pragma GCC unroll 4
      for (int q = 0; q < P; ++q) {
        const __m256 v = _mm256_broadcast_ss(x + q * xs + off[t]);
        a0[q] = _mm256_fmadd_ps(v, w0, a0[q]);
        a1[q] = _mm256_fmadd_ps(v, w1, a1[q]);
      }
    }
#pragma GCC unroll 4
    for (int q = 0; q < P; ++q) {
      store(y + q * ldy, m0, finish(a0[q], b0));
      store(y + q * ldy + 8, m1, finish(a1[q], b1));
    }
  }
  for (; i < npix; ++i, x += xs, y += ldy) {
    __m256 a0 = zero, a1 = zero;
#pragma GCC unroll 9
    for (int t = 0; t < T; ++t) {
      const __m256 v = _mm256_broadcast_ss(x + off[t]);
      a0 = _mm256_fmadd_ps(v, load(w + t * ldw, m0), a0);
      a1 = _mm256_fmadd_ps(v, load(w + t * ldw + 8, m1), a1);
    }
    store(y, m0, finish(a0, b0));
    store(y + 8, m1, finish(a1, b1));
  }
}

template <int T>
void row_n(int64_t npix, const float* x, int64_t xs, const int64_t* tap_off, const float* w,
           int64_t ldw, const float* bias, bool relu, float* y, int64_t ldy, int n) {
  if (n >= 16) row<T, true>(npix, x, xs, tap_off, w, ldw, bias, relu, y, ldy, n);
  else row<T, false>(npix, x, xs, tap_off, w, ldw, bias, relu, y, ldy, n);
}

}  // namespace

void f32_conv_direct1_ukernel_x16__avx2(int64_t npix, const float* x, int64_t xs,
                                        const int64_t* tap_off, int ntaps, const float* w,
                                        int64_t ldw, const float* bias, bool relu, float* y,
                                        int64_t ldy, int n) {
  switch (ntaps) {
    case 1: return row_n<1>(npix, x, xs, tap_off, w, ldw, bias, relu, y, ldy, n);
    case 2: return row_n<2>(npix, x, xs, tap_off, w, ldw, bias, relu, y, ldy, n);
    case 3: return row_n<3>(npix, x, xs, tap_off, w, ldw, bias, relu, y, ldy, n);
    case 4: return row_n<4>(npix, x, xs, tap_off, w, ldw, bias, relu, y, ldy, n);
    case 5: return row_n<5>(npix, x, xs, tap_off, w, ldw, bias, relu, y, ldy, n);
    case 6: return row_n<6>(npix, x, xs, tap_off, w, ldw, bias, relu, y, ldy, n);
    case 7: return row_n<7>(npix, x, xs, tap_off, w, ldw, bias, relu, y, ldy, n);
    case 8: return row_n<8>(npix, x, xs, tap_off, w, ldw, bias, relu, y, ldy, n);
    default: return row_n<9>(npix, x, xs, tap_off, w, ldw, bias, relu, y, ldy, n);
  }
}

}  // namespace fastconv
