// f32_gemm_ukernel_12x32__avx512f (AVX-512F). Contract: see gemm/ukernel.h.
// 24 zmm accumulators (12 rows x 2 vectors of 16) + 2 B vectors; the A broadcasts are folded
// into the FMAs as {1to16} memory operands, so 26 of 32 zmm registers are live.
//
// b may be a packed panel (ldb == 32, 64-byte aligned, zero padded: aligned loads) or a
// row-major matrix read in place (any ldb, any alignment: unaligned loads, and masked loads on
// an edge tile so columns >= n are never touched and the last tile cannot read past the end).
// Edge tiles are cheap: rows are computed in steps of 4 (m = 1..4 runs a 4-row loop, 5..8 an
// 8-row loop) and n <= 16 runs one vector per row, so a 100-row or 100-column problem does not
// pay for whole 12x32 tiles at its edge. Rows past m in the packed A panel are zero padding and
// their results are never stored; C is never touched outside the m x n corner.
#include <immintrin.h>

#include <cstdint>

#include "gemm/ukernel.h"

namespace fastconv {
namespace {

constexpr int MR = 12, NR = 32;
// How far ahead (in B rows) to prefetch when B is read in place from a strided matrix: the
// hardware prefetcher follows the packed panel's sequential stream but not 1-4 KiB strides.
constexpr int kPrefetchRows = 8;

inline __mmask16 tail_mask(int n) {
  if (n >= 16) return 0xFFFF;
  if (n <= 0) return 0;
  return static_cast<__mmask16>((1u << n) - 1u);
}

inline __m512 epilogue(__m512 acc, const float* c, const float* bias, __mmask16 mask,
                       const UkernelParams& p, __m512 valpha, __m512 vbeta) {
  __m512 v = _mm512_mul_ps(acc, valpha);
  if (p.beta != 0.0f) v = _mm512_fmadd_ps(vbeta, _mm512_maskz_loadu_ps(mask, c), v);
  if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, bias));
  // max(0, v) returns v when v is NaN: a diverging model shows NaN instead of hiding it.
  if (p.relu) v = _mm512_max_ps(_mm512_setzero_ps(), v);
  return v;
}

// M rows (4, 8 or 12) x NV vectors (1 or 2) of the tile.
// How B rows are read. Masked loads cost ~10% of the kernel's speed even with a full mask, so
// they are kept for the one edge tile per row of tiles that needs them.
enum BMode : int {
  kPacked = 0,         // packed panel: aligned loads, stride NR
  kInPlace = 1,        // row-major op(B), whole 32-column tile: unaligned loads, stride ldb
  kInPlaceMasked = 2,  // row-major op(B), edge tile: masked loads never touch columns >= n
};

template <int kMode>
inline __m512 load_b(const float* b, __mmask16 mask) {
  if (kMode == kPacked) return _mm512_load_ps(b);
  if (kMode == kInPlace) return _mm512_loadu_ps(b);
  return _mm512_maskz_loadu_ps(mask, b);
}

template <int M, int NV, int kMode, bool kADirect>
inline void tile(int64_t kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc,
                 int m, int n, const UkernelParams& p) {
  // A read in place (p.lda != 0): one pointer per row; rows past m repeat row m - 1 so that
  // nothing outside A is read (their results are never stored).
  const float* ar[M];
#pragma GCC unroll 12
  for (int i = 0; i < M; ++i) ar[i] = a + (i < m ? i : m - 1) * (kADirect ? p.lda : 0);
  const __mmask16 mask0 = tail_mask(n), mask1 = tail_mask(n - 16);
  // C is read (beta != 0) and written after the loop: start fetching it now.
#pragma GCC unroll 12
  for (int i = 0; i < M; ++i) {
    if (i < m) {
      _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
      if (NV == 2) _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 16), _MM_HINT_T0);
    }
  }
  // p.prefetch_next_c: the same columns of the next MR rows of C, which the driver's next call
  // on this column tile writes, into L2 (8x56x56x64 -> 256 pointwise backward-data, k = 64:
  // each tile's own prefetch above came too late for 25 MB of C; 8.6 -> 8.1 ms, 1 thread).
  if (p.prefetch_next_c) {
#pragma GCC unroll 12
    for (int i = 0; i < M; ++i) {
      _mm_prefetch(reinterpret_cast<const char*>(c + (MR + i) * ldc), _MM_HINT_T1);
      if (NV == 2) _mm_prefetch(reinterpret_cast<const char*>(c + (MR + i) * ldc + 16), _MM_HINT_T1);
    }
  }
  __m512 acc[M][NV];
#pragma GCC unroll 12
  for (int i = 0; i < M; ++i)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_ps();

  // p.prefetch_next_a: one cache line of the next panel's (contiguous) rows per step, so the
  // MR x kc floats after this panel's are in L2 by the time the driver moves on (the
  // 8x56x56x256 -> 64 pointwise forward, 1 thread: 114 -> 134 GF/s).
  const char* a_next = reinterpret_cast<const char*>(a + MR * p.lda);
  const bool pf_a = kADirect && p.prefetch_next_a;
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k) {
    if (pf_a) {
      _mm_prefetch(a_next, _MM_HINT_T1);
      a_next += 64;
    }
    if (kMode != kPacked) {
      _mm_prefetch(reinterpret_cast<const char*>(b + kPrefetchRows * ldb), _MM_HINT_T0);
      if (NV == 2)
        _mm_prefetch(reinterpret_cast<const char*>(b + kPrefetchRows * ldb + 31), _MM_HINT_T0);
    }
    const __m512 b0 = load_b<kMode>(b, mask0);
    const __m512 b1 = NV == 2 ? load_b<kMode>(b + 16, mask1) : b0;
#pragma GCC unroll 12
    for (int i = 0; i < M; ++i) {
      const __m512 ai = _mm512_set1_ps(kADirect ? ar[i][k] : a[i]);
      acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
      if (NV == 2) acc[i][NV - 1] = _mm512_fmadd_ps(ai, b1, acc[i][NV - 1]);
    }
    a += MR;
    b += kMode == kPacked ? NR : ldb;
  }

  const __m512 valpha = _mm512_set1_ps(p.alpha), vbeta = _mm512_set1_ps(p.beta);
  const float* bias1 = p.bias ? p.bias + 16 : nullptr;
  // Fully unrolled with a guard so acc is only ever indexed by constants and stays in registers.
#pragma GCC unroll 12
  for (int i = 0; i < M; ++i) {
    if (i < m) {
      float* ci = c + i * ldc;
      _mm512_mask_storeu_ps(ci, mask0, epilogue(acc[i][0], ci, p.bias, mask0, p, valpha, vbeta));
      if (NV == 2 && mask1)
        _mm512_mask_storeu_ps(ci + 16, mask1,
                              epilogue(acc[i][NV - 1], ci + 16, bias1, mask1, p, valpha, vbeta));
    }
  }
}

template <int NV, int kMode>
inline void rows(int64_t kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc,
                 int m, int n, const UkernelParams& p) {
  if (p.lda != 0) {
    if (m > 8) tile<12, NV, kMode, true>(kc, a, b, ldb, c, ldc, m, n, p);
    else if (m > 4) tile<8, NV, kMode, true>(kc, a, b, ldb, c, ldc, m, n, p);
    else tile<4, NV, kMode, true>(kc, a, b, ldb, c, ldc, m, n, p);
  } else {
    if (m > 8) tile<12, NV, kMode, false>(kc, a, b, ldb, c, ldc, m, n, p);
    else if (m > 4) tile<8, NV, kMode, false>(kc, a, b, ldb, c, ldc, m, n, p);
    else tile<4, NV, kMode, false>(kc, a, b, ldb, c, ldc, m, n, p);
  }
}

}  // namespace

void f32_gemm_ukernel_12x32__avx512f(int64_t kc, const float* a, const float* b, int64_t ldb,
                                     float* c, int64_t ldc, int m, int n,
                                     const UkernelParams& p) {
  // ldb == NR is a packed panel (a matrix read in place with 32 columns is read the same way
  // safely, but may be unaligned: only the packed path assumes alignment).
  const bool packed = ldb == NR && (reinterpret_cast<uintptr_t>(b) & 63) == 0;
  if (n > 16) {
    if (packed) rows<2, kPacked>(kc, a, b, ldb, c, ldc, m, n, p);
    else if (n == NR) rows<2, kInPlace>(kc, a, b, ldb, c, ldc, m, n, p);
    else rows<2, kInPlaceMasked>(kc, a, b, ldb, c, ldc, m, n, p);
  } else {
    if (packed) rows<1, kPacked>(kc, a, b, ldb, c, ldc, m, n, p);
    else if (n == 16) rows<1, kInPlace>(kc, a, b, ldb, c, ldc, m, n, p);
    else rows<1, kInPlaceMasked>(kc, a, b, ldb, c, ldc, m, n, p);
  }
}

}  // namespace fastconv
