// f32_gemv_ukernel_x256__avx512f (AVX-512F). Contract: see GemvUkernelFn in gemm/ukernel.h.
// Column blocks of 16 zmm accumulators: 256 columns for one row of op(A) (the B operand is an
// FMA memory operand, so 17 of 32 zmm are live), 128 for two, 80 for three, 64 for four. Each
// block walks the k rows of B it is given with its accumulators in registers (starting from 0
// or from params.partial), then applies alpha/beta/bias/relu once (or parks the sums in
// params.partial when the driver sweeps a wide B in bands). The last block of a row of C is as many vectors as it needs, the
// last one loaded and stored under a mask, so columns >= n are never touched.
//
// One zmm lane per column and one FMA per (row, depth step), in depth order: a column's
// result does not depend on the block it falls in, which is what lets the driver split the
// columns between threads anywhere.
#include <immintrin.h>

#include <cstdint>

#include "gemm/ukernel.h"

namespace fastconv {
namespace {

constexpr int kMaxM = 4;
// Accumulator vectors per row of op(A) for M rows: 16 accumulators in all.
constexpr int vectors_for(int M) { return M == 1 ? 16 : M == 2 ? 8 : M == 3 ? 5 : 4; }

inline __mmask16 tail_mask(int64_t n) {
  if (n >= 16) return 0xFFFF;
  return static_cast<__mmask16>((1u << n) - 1u);
}

// M rows x NV vectors of C from column 0 of b / c / bias. kTail: the last vector is partial
// (mask `last`).
template <int M, int NV, bool kTail>
void block(int64_t k, const float* a, int64_t a_rs, int64_t a_cs, const float* b, int64_t ldb,
           float* c, int64_t ldc, float* partial, const float* bias, __mmask16 last,
           const GemvParams& p) {
  __m512 acc[M][NV];
#pragma GCC unroll 4
  for (int i = 0; i < M; ++i)
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) {
      const __mmask16 mask = (kTail && v == NV - 1) ? last : __mmask16(0xFFFF);
      acc[i][v] = p.first ? _mm512_setzero_ps()
                          : _mm512_maskz_loadu_ps(mask, partial + i * p.ldp + 16 * v);
    }
  const float* ar[M];
#pragma GCC unroll 4
  for (int i = 0; i < M; ++i) ar[i] = a + i * a_rs;

#pragma GCC unroll 2
  for (int64_t q = 0; q < k; ++q) {
    __m512 av[M];
#pragma GCC unroll 4
    for (int i = 0; i < M; ++i) av[i] = _mm512_set1_ps(ar[i][q * a_cs]);
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) {
      const __m512 bv = (kTail && v == NV - 1) ? _mm512_maskz_loadu_ps(last, b + 16 * v)
                                                : _mm512_loadu_ps(b + 16 * v);
#pragma GCC unroll 4
      for (int i = 0; i < M; ++i) acc[i][v] = _mm512_fmadd_ps(av[i], bv, acc[i][v]);
    }
    b += ldb;
  }

  if (!p.last) {
#pragma GCC unroll 4
    for (int i = 0; i < M; ++i)
#pragma GCC unroll 16
      for (int v = 0; v < NV; ++v) {
        const __mmask16 mask = (kTail && v == NV - 1) ? last : __mmask16(0xFFFF);
        _mm512_mask_storeu_ps(partial + i * p.ldp + 16 * v, mask, acc[i][v]);
      }
    return;
  }
  const __m512 valpha = _mm512_set1_ps(p.alpha), vbeta = _mm512_set1_ps(p.beta);
#pragma GCC unroll 4
  for (int i = 0; i < M; ++i) {
    float* ci = c + i * ldc;
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) {
      const __mmask16 mask = (kTail && v == NV - 1) ? last : __mmask16(0xFFFF);
      __m512 r = _mm512_mul_ps(acc[i][v], valpha);
      // beta == 0: C is not read (it may hold NaN).
      if (p.beta != 0.0f)
        r = _mm512_fmadd_ps(vbeta, _mm512_maskz_loadu_ps(mask, ci + 16 * v), r);
      if (bias) r = _mm512_add_ps(r, _mm512_maskz_loadu_ps(mask, bias + 16 * v));
      // max(0, r) returns r when r is NaN, as in the GEMM kernels.
      if (p.relu) r = _mm512_max_ps(_mm512_setzero_ps(), r);
      _mm512_mask_storeu_ps(ci + 16 * v, mask, r);
    }
  }
}

// The partial last block: nv (1..NV) vectors, the last one masked.
template <int M, int NV>
void tail(int nv, int64_t k, const float* a, int64_t a_rs, int64_t a_cs, const float* b,
          int64_t ldb, float* c, int64_t ldc, float* partial, const float* bias, __mmask16 last,
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
  constexpr int64_t NB = 16 * NV;
  const auto partial = [&](int64_t j) { return p.partial ? p.partial + j : nullptr; };
  const auto bias = [&](int64_t j) { return p.bias ? p.bias + j : nullptr; };
  int64_t j = 0;
  for (; j + NB <= n; j += NB)
    block<M, NV, false>(k, a, a_rs, a_cs, b + j, ldb, c + j, ldc, partial(j), bias(j), 0xFFFF, p);
  if (j < n) {
    const int nv = static_cast<int>((n - j + 15) / 16);
    const __mmask16 last = tail_mask(n - j - 16 * (nv - 1));
    tail<M, NV>(nv, k, a, a_rs, a_cs, b + j, ldb, c + j, ldc, partial(j), bias(j), last, p);
  }
}

}  // namespace

void f32_gemv_ukernel_x256__avx512f(int m, int64_t n, int64_t k, const float* a, int64_t a_rs,
                                    int64_t a_cs, const float* b, int64_t ldb, float* c,
                                    int64_t ldc, const GemvParams& p) {
  static_assert(kMaxM == 4, "the switch below covers 1..kMaxM rows");
  switch (m) {
    case 1: rows<1>(n, k, a, a_rs, a_cs, b, ldb, c, ldc, p); break;
    case 2: rows<2>(n, k, a, a_rs, a_cs, b, ldb, c, ldc, p); break;
    case 3: rows<3>(n, k, a, a_rs, a_cs, b, ldb, c, ldc, p); break;
    default: rows<4>(n, k, a, a_rs, a_cs, b, ldb, c, ldc, p); break;
  }
}

}  // namespace fastconv
