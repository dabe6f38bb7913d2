// The GEMM microkernel contract, shared by every ISA.
//
// A microkernel computes one MR x NR tile of C from packed operands:
//   a: packed A micro-panel, kc x MR, k-major: a[p * MR + i] = op(A)(i0 + i, p0 + p).
//      Rows past the edge of A are zero-filled by the packer.
//   b: kc x NR micro-panel of op(B) with row stride ldb: b[p * ldb + j] = op(B)(p0 + p, j0 + j).
//      Either a packed panel (ldb == NR, 64-byte aligned, columns past the edge of B
//      zero-filled) or, for kernels whose GemmKernel::strided_b is set, a row-major op(B) read
//      in place (any ldb, any alignment; such kernels never read columns >= n).
//   c: the tile's top-left element in row-major C with row stride ldc; only the m x n corner
//      (m <= MR, n <= NR) is read or written, so edge tiles need no copy.
// and stores
//   C = alpha * (a . b) + beta * C            (beta == 0: C is not read, it may hold NaN)
//   C += bias[j]        if bias != nullptr     (bias already offset to the tile's column)
//   C = max(C, 0)       if relu
// kc may be 0 (then the product is 0).
#pragma once

#include <cstdint>

namespace fastconv {

struct UkernelParams {
  float alpha = 1.0f;
  float beta = 0.0f;
  const float* bias = nullptr;
  bool relu = false;
  // 0: a is a packed micro-panel. Otherwise (only for kernels whose GemmKernel::strided_a is
  // set) a points at op(A)(i0, p0) of a row-major op(A) read in place: a[i * lda + p].
  int64_t lda = 0;
  // Convolution microkernels only (conv/conv_ukernel.h): 0, the weight panel is packed (rows
  // NR floats apart); otherwise its rows are ldw floats apart (read in place).
  int64_t ldw = 0;
  // A hint (kernels may ignore it): a is read in place, and the next MR rows of op(A) follow
  // this panel's rows contiguously (lda == kc), so the kernel may prefetch them into L2 while
  // it computes. A pointwise convolution's input streams from memory 12 rows at a time,
  // interleaved in a way the hardware prefetchers follow poorly.
  bool prefetch_next_a = false;
  // A hint: the driver's next call writes the C tile MR rows below this one (prefetch it).
  bool prefetch_next_c = false;
};

using GemmUkernelFn = void (*)(int64_t kc, const float* a, const float* b, int64_t ldb,
                               float* c, int64_t ldc, int m, int n, const UkernelParams& params);

// A microkernel and the cache blocking tuned for it.
//   mr, nr: register tile.   kc: depth of a packed panel (a and b micro-panels sized for L1/L2).
//   mc: rows of op(A) packed per block (L3-resident).   nc: columns of op(B) packed per block
//   (L2-resident). mc is a multiple of mr, nc of nr.
struct GemmKernel {
  GemmUkernelFn ukernel = nullptr;
  int mr = 0, nr = 0;
  int64_t kc = 0, mc = 0, nc = 0;
  const char* name = "";
  // The kernel can read op(B) in place from a row-major matrix (see b above), so the driver
  // may skip packing B when it is stored that way.
  bool strided_b = false;
  // The kernel can read op(A) in place from a row-major matrix (UkernelParams::lda).
  bool strided_a = false;
};

// GEMV microkernel: a product whose op(A) has only a few rows (a dense layer at batch 1),
// with op(B) read in place. The GEMM microkernel would see such a product as thousands of
// tiny tiles; a GEMV kernel instead walks k rows of B for one block of columns with the
// accumulators in registers the whole way, and applies the epilogue once.
//   a: op(A)(i, p) = a[i * a_rs + p * a_cs] for i < m, p < k (row-major in place: a_rs = lda,
//      a_cs = 1; a packed A micro-panel: a_rs = 1, a_cs = MR).
//   b: op(B)(p, j) = b[p * ldb + j], row-major, any ldb and alignment; columns >= n are never
//      read.
//   c: row-major m x n, row stride ldc; only those m x n elements are read or written.
// For i < m (1 <= m <= GemvKernel::max_m), j < n (n >= 1), k >= 1, the kernel forms
//   s(i, j) = s0(i, j) + sum_p a(i, p) b(p, j)      s0 = 0 if params.first, else partial(i, j)
// and then, if params.last,
//   C = alpha * s + beta * C   (beta == 0: C is not read)
//   C += bias[j] if bias != nullptr;  C = max(C, 0) if relu
// or else stores s into partial (row-major m x n, row stride params.ldp) for the next call
// over the following rows of B. The driver uses the split to sweep a wide B in bands of a
// few whole rows. The sum runs over p in order into one accumulator per (i, j) (a partial
// sum stored and reloaded is exact), and every column is computed alike wherever it sits in
// the call: so the driver may split the columns between threads anywhere and the results
// stay bit-identical.
struct GemvParams {
  float alpha = 1.0f;
  float beta = 0.0f;
  const float* bias = nullptr;
  bool relu = false;
  bool first = true, last = true;
  float* partial = nullptr;
  int64_t ldp = 0;
};
using GemvUkernelFn = void (*)(int m, int64_t n, int64_t k, const float* a, int64_t a_rs,
                               int64_t a_cs, const float* b, int64_t ldb, float* c, int64_t ldc,
                               const GemvParams& params);
struct GemvKernel {
  GemvUkernelFn ukernel = nullptr;
  int max_m = 0;  // products with at most this many rows of op(A) take the GEMV path
  int nb = 0;     // columns of the kernel's register block for one row of op(A) (~nb / m for m)
  const char* name = "";
};

void f32_gemv_ukernel_x64__scalar(int, int64_t, int64_t, const float*, int64_t, int64_t,
                                  const float*, int64_t, float*, int64_t, const GemvParams&);
void f32_gemv_ukernel_x96__avx2(int, int64_t, int64_t, const float*, int64_t, int64_t,
                                const float*, int64_t, float*, int64_t, const GemvParams&);
void f32_gemv_ukernel_x256__avx512f(int, int64_t, int64_t, const float*, int64_t, int64_t,
                                    const float*, int64_t, float*, int64_t, const GemvParams&);

// Transposing pack: dst[p * width + i] = src[i * ld + p] for i < h, p < kc, and 0 for
// h <= i < width. Packs A micro-panels from a row-major A and B micro-panels from a
// transposed B (MatrixPackA / MatrixPackB use the active table's).
using PackTransposeFn = void (*)(const float* src, int64_t ld, int h, int64_t kc, int width,
                                 float* dst);
void f32_packt_ukernel_1x1__scalar(const float* src, int64_t ld, int h, int64_t kc, int width,
                                   float* dst);
void f32_packt_ukernel_8x8__avx2(const float* src, int64_t ld, int h, int64_t kc, int width,
                                 float* dst);

// FMA peak probe kernel: `iters` iterations of independent FMA chains, results to sink (at
// most 64 floats). flops_per_iter: flops one iteration performs (2 per FMA lane).
using FmaPeakFn = void (*)(int64_t iters, float* sink);
struct FmaPeakKernel {
  FmaPeakFn fn = nullptr;
  double flops_per_iter = 0.0;
  const char* name = "";
};

void f32_fmapeak_ukernel_8x4__scalar(int64_t iters, float* sink);
void f32_fmapeak_ukernel_12x8__avx2(int64_t iters, float* sink);
void f32_fmapeak_ukernel_16x16__avx512f(int64_t iters, float* sink);

void f32_gemm_ukernel_4x8__scalar(int64_t, const float*, const float*, int64_t, float*, int64_t,
                                  int, int, const UkernelParams&);
void f32_gemm_ukernel_6x16__avx2(int64_t, const float*, const float*, int64_t, float*, int64_t,
                                 int, int, const UkernelParams&);
void f32_gemm_ukernel_12x32__avx512f(int64_t, const float*, const float*, int64_t, float*,
                                     int64_t, int, int, const UkernelParams&);

}  // namespace fastconv
