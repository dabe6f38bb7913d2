// Winograd F(2x2, 3x3) transform microkernels (conv/conv2d_winograd.cpp), vectorised over the
// contiguous channels of NHWC data. The GEMMs between the transforms run on the shared GEMM
// microkernel (gemm/ukernel.h).
//
// Input transform, one 4x4 patch d of an input tile, all c channels:
//   d:  16 pointers, row-major over the patch (d[r * 4 + q] is pixel (r, q)), each at c
//       contiguous floats (a zero row for padding). No alignment needed.
//   v:  v[xi * ldv + k] = (B^T d_k B)[xi / 4][xi % 4] for channel k < c, where
//       B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]. Every v element is formed as
//       (d_a - d_b) - (d_c - d_d) style sums in a fixed order, identical on every ISA.
// Output transform, one 2x2 output tile, all f filters:
//   m:  m[xi * ldm + j], the 16 GEMM results of the tile.
//   y:  y[0..3] point at output pixels (0,0), (0,1), (1,0), (1,1) (f contiguous floats each;
//       clipped pixels point at private dummy rows: all four are always written).
//   y = A^T m A (+ bias[j]) (max(0, .) if relu; NaN passes through), with
//   A^T = [1 1 1 0; 0 1 -1 -1], rows of A^T applied first, in the same order on every ISA.
// Kernel transform, one input channel, n filters:
//   g:  g[(r * 3 + q) * tap_stride + j], tap (r, q) of filter j < n (HWIO rows, offset to the
//       channel).
//   u:  u[xi * ldu + j] = (G g_j G^T)[xi / 4][xi % 4], G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1],
//       in float32, the same operations on every ISA: G' = 2 G's rows 1 and 2 (no factors)
//       applied per column of g as t = g0 + g2, t + g1, t - g1, then the same along the rows of
//       the result (at most two rounded steps per pass), and the exact factors 1/2 or 1/4 last
//       (no product feeds a sum, so compilers cannot fuse any of it into an FMA).
#pragma once

#include <cstdint>

namespace fastconv {

using WinogradInFn = void (*)(const float* const* d, int64_t c, float* v, int64_t ldv);
using WinogradOutFn = void (*)(const float* m, int64_t ldm, int64_t f, const float* bias,
                               bool relu, float* const* y);
using WinogradKernelFn = void (*)(const float* g, int64_t tap_stride, int64_t n, float* u,
                                  int64_t ldu);

struct ConvWinogradKernels {
  WinogradInFn input = nullptr;
  WinogradOutFn output = nullptr;
  WinogradKernelFn kernel = nullptr;
  // F(4x4, 3x3) (conv/winograd4_math.h), same contracts with 6x6 patches / transforms and 4x4
  // output tiles: input d has 36 pointers (row-major 6x6), v 36 rows; output m has 36 rows and
  // y 16 pointers (row-major 4x4); kernel u 36 rows. Null where the ISA has no fast version
  // (the driver then uses F(2x2, 3x3)).
  WinogradInFn input4 = nullptr;
  WinogradOutFn output4 = nullptr;
  WinogradKernelFn kernel4 = nullptr;
};

void f32_winograd_in_ukernel_c1__scalar(const float* const*, int64_t, float*, int64_t);
void f32_winograd_in_ukernel_c8__avx2(const float* const*, int64_t, float*, int64_t);
void f32_winograd_in_ukernel_c16__avx512f(const float* const*, int64_t, float*, int64_t);
void f32_winograd_out_ukernel_c1__scalar(const float*, int64_t, int64_t, const float*, bool,
                                         float* const*);
void f32_winograd_out_ukernel_c8__avx2(const float*, int64_t, int64_t, const float*, bool,
                                       float* const*);
void f32_winograd_out_ukernel_c16__avx512f(const float*, int64_t, int64_t, const float*, bool,
                                           float* const*);
void f32_winograd4_in_ukernel_c1__scalar(const float* const*, int64_t, float*, int64_t);
void f32_winograd4_in_ukernel_c8__avx2(const float* const*, int64_t, float*, int64_t);
void f32_winograd4_in_ukernel_c16__avx512f(const float* const*, int64_t, float*, int64_t);
void f32_winograd4_out_ukernel_c1__scalar(const float*, int64_t, int64_t, const float*, bool,
                                          float* const*);
void f32_winograd4_out_ukernel_c8__avx2(const float*, int64_t, int64_t, const float*, bool,
                                        float* const*);
void f32_winograd4_out_ukernel_c16__avx512f(const float*, int64_t, int64_t, const float*, bool,
                                            float* const*);
void f32_winograd4_kernel_ukernel_c1__scalar(const float*, int64_t, int64_t, float*, int64_t);
void f32_winograd4_kernel_ukernel_c8__avx2(const float*, int64_t, int64_t, float*, int64_t);
void f32_winograd4_kernel_ukernel_c16__avx512f(const float*, int64_t, int64_t, float*,
                                               int64_t);
void f32_winograd_kernel_ukernel_c1__scalar(const float*, int64_t, int64_t, float*, int64_t);
void f32_winograd_kernel_ukernel_c8__avx2(const float*, int64_t, int64_t, float*, int64_t);
void f32_winograd_kernel_ukernel_c16__avx512f(const float*, int64_t, int64_t, float*, int64_t);

}  // namespace fastconv
