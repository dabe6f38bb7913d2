// f32_gemv_ukernel_x96__avx2 (AVX2 + FMA3). Contract: see GemvUkernelFn in gemm/ukernel.h.
// Column blocks of 12 ymm accumulators: 96 columns for one row of op(A), 48 for two, 32 for
// three, 24 for four (12 accumulators + the A broadcasts + a B vector fit the 16 ymm); 16 for
// five or six rows, 8 for seven or eight. Each block walks the k rows of B it is given with its
// accumulators in registers (starting from 0 or from params.partial), then applies
// alpha/beta/bias/relu once (or parks the sums in params.partial when the driver sweeps a wide
// B in bands). The last block of a row of C is as many vectors as it needs, the last one loaded
// and stored under a mask, so columns >= n are never touched.
//
// One ymm lane per column and one FMA per (row, depth step), in depth order: a column's
// result does not depend on the block it falls in, which is what lets the driver split the
// columns between threads anywhere.
#include <immintrin.h>

#include <cstdint>

#include "gemm/ukernel.h"

namespace fastconv {
namespace {

constexpr int vectors_for(int M) {
  return M == 1 ? 12 : M == 2 ? 6 : M == 3 ? 4 : M == 4 ? 3 : M <= 6 ? 2 : 1;
}

inline __m256i tail_mask(int64_t n) {
  // lane l is active iff l < n
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), lanes);
}

// M rows x NV vectors of C from column 0 of b / c / bias. kTail: the last vector is partial
// (mask `last`).
template <int M, int NV, bool kTail>
void block(int64_t k, const float* a, int64_t a_rs, int64_t a_cs, const float* b, int64_t ldb,
           float* c, int64_t ldc, float* partial, const float* bias, __m256i last,
           const GemvParams& p) {
  const __m256i all = _mm256_set1_epi32(-1);
  __m256 acc[M][NV];
#pragma GCC unroll 8
  for (int i = 0; i < M; ++i)
#pragma GCC unroll 12
    for (int v = 0; v < NV; ++v) {
      const __m256i mask = (kTail && v == NV - 1) ? last : all;
      acc[i][v] = p.first ? _mm256_setzero_ps()
                          : _mm256_maskload_ps(partial + i * p.ldp + 8 * v, mask);
    }
  const float* ar[M];
#pragma GCC unroll 8
  for (int i = 0; i < M; ++i) ar[i] = a + i * a_rs;

#pragma GCC unroll 2
  for (int64_t q = 0; q < k; ++q) {
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i) {
      const __m256 ai = _mm256_broadcast_ss(ar[i] + q * a_cs);
#pragma GCC unroll 12
      for (int v = 0; v < NV; ++v) {
        const __m256 bv = (kTail && v == NV - 1) ? _mm256_maskload_ps(b + 8 * v, last)
                                                  : _mm256_loadu_ps(b + 8 * v);
        acc[i][v] = _mm256_fmadd_ps(ai, bv, acc[i][v]);
      }
    }
    b += ldb;
  }

  if (!p.last) {
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i)
#pragma GCC unroll 12
      for (int v = 0; v < NV; ++v) {
        const __m256i mask = (kTail && v == NV - 1) ? last : all;
        _mm256_maskstore_ps(partial + i * p.ldp + 8 * v, mask, acc[i][v]);
      }
    return;
  }
  const __m256 valpha = _mm256_set1_ps(p.alpha), vbeta = _mm256_set1_ps(p.beta);
#pragma GCC unroll 8
  for (int i = 0; i < M; ++i) {
    float* ci = c + i * ldc;
#pragma GCC unroll 12
    for (int v = 0; v < NV; ++v) {
      const __m256i mask = (kTail && v == NV - 1) ? last : all;
      __m256 r = _mm256_mul_ps(acc[i][v], valpha);
      // beta == 0: C is not read (it may hold NaN).
      if (p.beta != 0.0f) r = _mm256_fmadd_ps(vbeta, _mm256_maskload_ps(ci + 8 * v, mask), r);
      if (bias) r = _mm256_add_ps(r, _mm256_maskload_ps(bias + 8 * v, mask));
      // max(0, r) returns r when r is NaN, as in the GEMM kernels.
      if (p.relu) r = _mm256_max_ps(_mm256_setzero_ps(), r);
      _mm256_maskstore_ps(ci + 8 * v, mask, r);
    }
  }
}

// The partial last block: nv (1..NV) vectors, the last one masked.
template <int M, int NV>
void tail(int nv, int64_t k, const float* a, int64_t a_rs, int64_t a_cs, const float* b,
          int64_t ldb, float* c, int64_t ldc, float* partial, const float* bias, __m256i last,
          const GemvParams& p) {
  if constexpr (NV >= 1) {
    if (nv == NV)
      block<M, NV, true>(k, a, a_rs, a_cs, b, ldb, c, ldc, partial, bias, last, p);
    else
      tail<M, NV - 1>(nv, k, a, a_rs, a_cs, b, ldb, c, ldc, partial, bias, last, p);
  }
}

template <int M>
void rows(int64_t n, int64_t k, const float* a, int64_t a_rs, int64_t a_cs, const float* b,
          int64_t ldb, float* c, int64_t ldc, const GemvParams& p) {
  constexpr int NV = vectors_for(M);
  constexpr int64_t NB = 8 * NV;
  const auto partial = [&](int64_t j) { return p.partial ? p.partial + j : nullptr; };
  const auto bias = [&](int64_t j) { return p.bias ? p.bias + j : nullptr; };
  const __m256i all = tail_mask(8);
  int64_t j = 0;
  for (; j + NB <= n; j += NB)
    block<M, NV, false>(k, a, a_rs, a_cs, b + j, ldb, c + j, ldc, partial(j), bias(j), all, p);
  if (j < n) {
    const int nv = static_cast<int>((n - j + 7) / 8);
    const __m256i last = tail_mask(n - j - 8 * (nv - 1));
    tail<M, NV>(nv, k, a, a_rs, a_cs, b + j, ldb, c + j, ldc, partial(j), bias(j), last, p);
  }
}

}  // namespace

void f32_gemv_ukernel_x96__avx2(int m, int64_t n, int64_t k, const float* a, int64_t a_rs,
                                int64_t a_cs, const float* b, int64_t ldb, float* c,
                                int64_t ldc, const GemvParams& p) {
  switch (m) {
    case 1: rows<1>(n, k, a, a_rs, a_cs, b, ldb, c, ldc, p); break;
    case 2: rows<2>(n, k, a, a_rs, a_cs, b, ldb, c, ldc, p); break;
    case 3: rows<3>(n, k, a, a_rs, a_cs, b, ldb, c, ldc, p); break;
    case 4: rows<4>(n, k, a, a_rs, a_cs, b, ldb, c, ldc, p); break;
    case 5: rows<5>(n, k, a, a_rs, a_cs, b, ldb, c, ldc, p); break;
    case 6: rows<6>(n, k, a, a_rs, a_cs, b, ldb, c, ldc, p); break;
    case 7: rows<7>(n, k, a, a_rs, a_cs, b, ldb, c, ldc, p); break;
    default: rows<8>(n, k, a, a_rs, a_cs, b, ldb, c, ldc, p); break;
  }
}

}  // namespace fastconv
