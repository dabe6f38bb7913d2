// The convolution microkernel contract: an indirect GEMM (no packing of the activations).
//
// One MR x NR tile of y = im2col(x) . w, where row i of im2col(x) is described by pointers:
//   a: ntaps x MR pointers, tap-major: a[t * MR + i] points at the c contiguous channels of
//      the input pixel that tap t of output row i reads, or at c zeros (padding, and rows
//      i >= m, whose results are not stored). Pointers need no alignment.
//   w: the packed weight panel, (ntaps * c) x NR, k-major: w[(t * c + p) * NR + j] =
//      w(tap t, channel p, filter j0 + j); columns past the edge are zero. 64-byte aligned.
//   y: the tile's top-left element, row stride ldy; only the m x n corner is written.
// and stores y = a . w (+ bias[j]) (relu). params.alpha and params.beta are ignored: the
// output is always overwritten (y may hold NaN). The depth is walked in the fixed order
// (t, p), so a tile's result does not depend on how tiles are spread over threads.
//
// NHWC makes each tap's c channels contiguous, so the kernel broadcasts straight from the
// image: packing im2col would cost as much as the arithmetic when F (the GEMM's N) is small.
#pragma once

#include <cstdint>

#include "gemm/ukernel.h"

namespace fastconv {

using ConvIgemmUkernelFn = void (*)(int64_t ntaps, int64_t c, const float* const* a,
                                    const float* w, float* y, int64_t ldy, int m, int n,
                                    const UkernelParams& params);

struct ConvIgemmKernel {
  ConvIgemmUkernelFn ukernel = nullptr;
  int mr = 0, nr = 0;
  const char* name = "";
};

void f32_conv_igemm_ukernel_4x8__scalar(int64_t, int64_t, const float* const*, const float*,
                                        float*, int64_t, int, int, const UkernelParams&);
void f32_conv_igemm_ukernel_6x16__avx2(int64_t, int64_t, const float* const*, const float*,
                                       float*, int64_t, int, int, const UkernelParams&);
void f32_conv_igemm_ukernel_12x32__avx512f(int64_t, int64_t, const float* const*, const float*,
                                           float*, int64_t, int, int, const UkernelParams&);

}  // namespace fastconv

namespace fastconv {

// The backward-filter microkernel: one kr x n tile of dw = im2col(x)^T . dy over a block of
// output pixels, accumulated in registers (the tile's dy columns stay in L1 across tiles):
//   a:  npix row pointers; row p of im2col(x) restricted to the tile is a[p][a_off + k],
//       k < kr: kr contiguous floats. The tap path passes, with no packing at all, the input
//       pixel a tap reads (kr channels of it; padding taps point at zeros).
//   dy: npix x F rows, row stride ldy, already offset to column j0.
//   dw: the kr x n tile (kr <= KR, n <= NR) at row stride ldw, already offset.
// dw[k][j] += sum over p (in order p = 0, 1, ...) of a[p][k] * dy[p][j]; the sum is formed in
// registers from zero and added to dw once, so the result depends only on how the caller
// splits the pixels, never on threads. No alignment needed; columns >= n are never read.
using ConvBwdFilterUkernelFn = void (*)(int64_t npix, const float* const* a, int64_t a_off,
                                        const float* dy, int64_t ldy, float* dw, int64_t ldw,
                                        int kr, int n);

struct ConvBwdFilterKernel {
  ConvBwdFilterUkernelFn ukernel = nullptr;
  int kr = 0, nr = 0;
  const char* name = "";
};

void f32_conv_bwdw_ukernel_4x8__scalar(int64_t, const float* const*, int64_t, const float*,
                                       int64_t, float*, int64_t, int, int);
void f32_conv_bwdw_ukernel_6x16__avx2(int64_t, const float* const*, int64_t, const float*,
                                      int64_t, float*, int64_t, int, int);
void f32_conv_bwdw_ukernel_12x32__avx512f(int64_t, const float* const*, int64_t,
                                          const float*, int64_t, float*, int64_t, int, int);

}  // namespace fastconv

namespace fastconv {

// Forward microkernel for a single-channel input (a first layer on grey images) with at most 9
// taps: one output row segment, all taps inside the (pre-padded) image.
//   x:  the receptive field's top-left input of the first pixel; pixel i's tap t reads
//       x[i * xs + tap_off[t]].
//   w:  ntaps x ldw weights (w[t * ldw + j]), already offset to column j0; bias likewise.
//   y:  npix rows at stride ldy; columns j < n (n <= NR) are written, y = relu?(x . w + bias).
// Each output element is summed over taps in order t = 0, 1, ..., independent of threads.
using ConvDirect1UkernelFn = void (*)(int64_t npix, const float* x, int64_t xs,
                                      const int64_t* tap_off, int ntaps, const float* w,
                                      int64_t ldw, const float* bias, bool relu, float* y,
                                      int64_t ldy, int n);

struct ConvDirect1Kernel {
  ConvDirect1UkernelFn ukernel = nullptr;  // null: the ISA uses the indirect GEMM instead
  int nr = 0;
  const char* name = "";
};

void f32_conv_direct1_ukernel_x8__scalar(int64_t, const float*, int64_t, const int64_t*, int,
                                         const float*, int64_t, const float*, bool, float*,
                                         int64_t, int);
void f32_conv_direct1_ukernel_x16__avx2(int64_t, const float*, int64_t, const int64_t*, int,
                                        const float*, int64_t, const float*, bool, float*,
                                        int64_t, int);
void f32_conv_direct1_ukernel_x32__avx512f(int64_t, const float*, int64_t, const int64_t*, int,
                                           const float*, int64_t, const float*, bool, float*,
                                           int64_t, int);

}  // namespace fastconv

namespace fastconv {

// Backward-filter microkernel for few input channels (a first layer on grey or RGB images):
// dw and db of one column panel, summed over `nrows` runs of `npix` output pixels, reading a
// zero-padded copy of x so that every tap is a fixed offset (no pointer tables, no im2col).
// A "tap" here is one (ki, kj, c) of the kernel, i.e. one row of dw.
//   x:   row 0's first pixel; pixel i of row r reads tap t at x[r * xrs + i * xs + tap_off[t]].
//   dy:  pixel i of row r at dy + (r * npix + i) * ldy (the rows are consecutive output
//        pixels of the NHWC gradient), already offset to column j0.
//   dw:  ntaps rows (1 <= ntaps <= 9) of n columns (1 <= n <= NR) at stride ldw, offset to j0;
//   db:  n floats (offset to j0), or null to skip the bias gradient.
// dw[t][j] += sum of x(r, i, t) * dy(r, i)[j], db[j] += sum of dy(r, i)[j]: each sum is formed
// in registers from zero over (r, i) in order and added once, so the result depends only on how
// the caller splits the pixels, never on threads. Columns >= n are never read or written; no
// alignment needed.
using ConvBwdFilterDirectUkernelFn = void (*)(int64_t nrows, int64_t npix, const float* x,
                                              int64_t xrs, int64_t xs, const int64_t* tap_off,
                                              int ntaps, const float* dy, int64_t ldy, float* dw,
                                              int64_t ldw, float* db, int n);

struct ConvBwdFilterDirectKernel {
  ConvBwdFilterDirectUkernelFn ukernel = nullptr;
  int nr = 0;
  const char* name = "";
};
constexpr int kConvBwdFilterDirectMaxTaps = 9;

void f32_conv_bwdw_direct_ukernel_x8__scalar(int64_t, int64_t, const float*, int64_t, int64_t,
                                             const int64_t*, int, const float*, int64_t, float*,
                                             int64_t, float*, int);
void f32_conv_bwdw_direct_ukernel_x8__avx2(int64_t, int64_t, const float*, int64_t, int64_t,
                                           const int64_t*, int, const float*, int64_t, float*,
                                           int64_t, float*, int);
void f32_conv_bwdw_direct_ukernel_x32__avx512f(int64_t, int64_t, const float*, int64_t, int64_t,
                                               const int64_t*, int, const float*, int64_t,
                                               float*, int64_t, float*, int);

}  // namespace fastconv
