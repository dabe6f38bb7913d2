// Pooling microkernel contracts, shared by every ISA.
//
// A pooling microkernel handles ONE output pixel for `c` channels. Its window is already clipped
// to the real input cells (padding cells never take part), so it sees rh x rw cells:
//   cell (i, j), channel k is at  x[i * row_stride + j * col_stride + k]
// (NHWC: col_stride = C, row_stride = W * C; c <= C lets a driver hand out channel slices).
// Gradients into dx use the same offsets as x. No alignment is required; any c >= 1 works
// (SIMD kernels handle the channel tail with masks or a scalar loop).
// Global pooling is the same kernels with a window of the whole image.
#pragma once

#include <cstddef>

namespace fastconv {

// y[k] = max over the window of x[., ., k].
using MaxPoolFn = void (*)(size_t c, size_t rh, size_t rw, const float* x, size_t row_stride,
                           size_t col_stride, float* y);
// The window's arg-max per channel (first in row-major window order on ties, i.e. only a
// strictly greater value replaces the current best) receives dy[k]:
//   accumulate: dx[argmax] += dy[k], other cells untouched;
//   otherwise:  dx[argmax] = dy[k] and every other cell of the window is set to 0
//               (for windows that tile dx exactly, so dx needs no separate zeroing pass).
// relu_mask: the pooled x is a ReLU's output and dx is the gradient of that ReLU's INPUT, i.e.
// dy[k] is passed on only where the window's max is > 0 (0 and NaN send 0), exactly
// relu_bwd(x, maxpool_bwd(x, dy)) in one pass, with no separate pass over the large map.
using MaxPoolBwdFn = void (*)(size_t c, size_t rh, size_t rw, const float* x, size_t row_stride,
                              size_t col_stride, const float* dy, float* dx, bool accumulate,
                              bool relu_mask);
// y[k] = scale * sum over the window of x[., ., k], summed in row-major window order.
using AvgPoolFn = void (*)(size_t c, size_t rh, size_t rw, const float* x, size_t row_stride,
                           size_t col_stride, float scale, float* y);
// Every window cell gets g = dy[k] * scale: dx += g (accumulate) or dx = g.
using AvgPoolBwdFn = void (*)(size_t c, size_t rh, size_t rw, const float* dy, float scale,
                              float* dx, size_t row_stride, size_t col_stride, bool accumulate);

struct PoolKernels {
  MaxPoolFn maxpool = nullptr;
  MaxPoolBwdFn maxpool_bwd = nullptr;
  AvgPoolFn avgpool = nullptr;
  AvgPoolBwdFn avgpool_bwd = nullptr;
  const char* maxpool_name = "";
};

void f32_maxpool2d_ukernel_c1__scalar(size_t, size_t, size_t, const float*, size_t, size_t,
                                      float*);
void f32_maxpool2d_ukernel_c8__avx2(size_t, size_t, size_t, const float*, size_t, size_t,
                                    float*);
void f32_maxpool2d_ukernel_c16__avx512f(size_t, size_t, size_t, const float*, size_t, size_t,
                                        float*);
void f32_maxpool2d_bwd_ukernel_c1__scalar(size_t, size_t, size_t, const float*, size_t, size_t,
                                          const float*, float*, bool, bool);
void f32_maxpool2d_bwd_ukernel_c8__avx2(size_t, size_t, size_t, const float*, size_t, size_t,
                                        const float*, float*, bool, bool);
void f32_maxpool2d_bwd_ukernel_c16__avx512f(size_t, size_t, size_t, const float*, size_t, size_t,
                                            const float*, float*, bool, bool);
void f32_avgpool2d_ukernel_c1__scalar(size_t, size_t, size_t, const float*, size_t, size_t, float,
                                      float*);
void f32_avgpool2d_bwd_ukernel_c1__scalar(size_t, size_t, size_t, const float*, float, float*,
                                          size_t, size_t, bool);
void f32_avgpool2d_ukernel_c32__avx2(size_t, size_t, size_t, const float*, size_t, size_t, float,
                                     float*);
void f32_avgpool2d_ukernel_c64__avx512f(size_t, size_t, size_t, const float*, size_t, size_t,
                                        float, float*);

}  // namespace fastconv
