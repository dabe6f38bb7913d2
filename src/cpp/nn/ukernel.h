// Microkernel contracts for activations, losses, dropout, normalisation and optimizers.
// "rows x c" kernels see a row-major (rows, c) matrix: the NHWC activation with N*H*W rows and
// the channel axis contiguous. Elementwise kernels see n contiguous floats. No alignment needed;
// any n, c >= 0 works (SIMD kernels mask or loop over their tail). Elementwise SIMD kernels
// must give every element the same instruction sequence (masked tails, no scalar remainder with
// different rounding), so a result never depends on where a thread's range starts.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fastconv {

// y = max(x, 0)
using ReluFn = void (*)(size_t n, const float* x, float* y);
// dx = dy where x > 0, else 0
using ReluBwdFn = void (*)(size_t n, const float* x, const float* dy, float* dx);
// y[r, k] = x[r, k] + b[k]
using BiasAddFn = void (*)(size_t rows, size_t c, const float* x, const float* b, float* y);
// sum[k] = sum over rows of x[r, k], added in row order (the kernel starts from 0).
using ColSumFn = void (*)(size_t rows, size_t c, const float* x, float* sum);
// sum[k] = sum over rows of (x[r, k] - mean[k])^2 and dsum[k] = sum over rows of
// (x[r, k] - mean[k]), both in row order (dsum lets a caller correct for a mean that is not
// exactly the rows' mean).
using ColSumSqDiffFn = void (*)(size_t rows, size_t c, const float* x, const float* mean,
                                float* sum, float* dsum);
// sum_dy[k] = sum dy[r, k];  sum_dyx[k] = sum dy[r, k] * (x[r, k] - mean[k]); row order.
using BnBwdReduceFn = void (*)(size_t rows, size_t c, const float* dy, const float* x,
                               const float* mean, float* sum_dy, float* sum_dyx);
// y[r, k] = (x[r, k] - mean[k]) * scale[k] + shift[k]
using BnApplyFn = void (*)(size_t rows, size_t c, const float* x, const float* mean,
                           const float* scale, const float* shift, float* y);
// dx[r, k] = a[k] * dy[r, k] + b[k] * (x[r, k] - mean[k]) + d[k]
using BnBwdApplyFn = void (*)(size_t rows, size_t c, const float* dy, const float* x,
                              const float* mean, const float* a, const float* b, const float* d,
                              float* dx);
// Softmax of each of `rows` rows of length k (max subtracted first).
using SoftmaxFn = void (*)(size_t rows, size_t k, const float* z, float* p);
// dz = y * (dy - sum(dy * y)) per row.
using SoftmaxBwdFn = void (*)(size_t rows, size_t k, const float* y, const float* dy, float* dz);
// One row of fused softmax cross-entropy. Targets: t (k floats) if t != nullptr, else the one-hot
// row of class `label`. Writes dz = (softmax(z) - t) * scale and returns
// -sum_k t_k * log_softmax(z)_k (0 * log p counts as 0), computed with log-sum-exp.
using SoftmaxXentFn = double (*)(size_t k, const float* z, const float* t, int64_t label,
                                 float scale, float* dz);
// Inverted dropout over elements [first, first + n) of a flat tensor: u_i from the counter-based
// generator of python/fastconv/reference/dropout.py; kept iff (hash(seed, i) >> 40) >= threshold
// (threshold = ceil(rate * 2^24)); y = kept ? x * scale : 0, mask = kept.
using DropoutFn = void (*)(size_t n, uint64_t first, uint64_t seed, uint64_t threshold,
                           float scale, const float* x, float* y, uint8_t* mask);
// dx = mask ? dy * scale : 0
using DropoutBwdFn = void (*)(size_t n, const float* dy, const uint8_t* mask, float scale,
                              float* dx);
// Local response normalisation over the channels of `pixels` rows of c (TensorFlow semantics).
using LrnFn = void (*)(size_t pixels, size_t c, const float* x, float* y, int64_t radius,
                       float bias, float alpha, float beta);
using LrnBwdFn = void (*)(size_t pixels, size_t c, const float* x, const float* dy, float* dx,
                          int64_t radius, float bias, float alpha, float beta);
// SGD in place (Keras): see python/fastconv/reference/optim.py. v may be null iff momentum == 0.
using SgdFn = void (*)(size_t n, float* p, const float* g, float* v, float lr, float momentum,
                       bool nesterov);
// Adam in place with the bias correction folded into lr_t:
//   m = b1 m + c1 g;  v = b2 v + c2 g^2;  p -= lr_t m / (sqrt(v) + eps)
// c1 = 1 - beta_1 and c2 = 1 - beta_2 are rounded from double by the driver: 1.0f - 0.999f would
// carry float32(0.999)'s rounding error into c2 with a relative error of 1e-5.
struct AdamParams {
  float lr_t, b1, c1, b2, c2, eps;
};
using AdamFn = void (*)(size_t n, float* p, const float* g, float* m, float* v,
                        const AdamParams& params);

struct NnKernels {
  ReluFn relu = nullptr;
  ReluBwdFn relu_bwd = nullptr;
  BiasAddFn bias_add = nullptr;
  ColSumFn colsum = nullptr;
  ColSumSqDiffFn colsum_sqdiff = nullptr;
  BnBwdReduceFn bn_bwd_reduce = nullptr;
  BnApplyFn bn_apply = nullptr;
  BnBwdApplyFn bn_bwd_apply = nullptr;
  SoftmaxFn softmax = nullptr;
  SoftmaxBwdFn softmax_bwd = nullptr;
  SoftmaxXentFn softmax_xent = nullptr;
  DropoutFn dropout = nullptr;
  DropoutBwdFn dropout_bwd = nullptr;
  LrnFn lrn = nullptr;
  LrnBwdFn lrn_bwd = nullptr;
  SgdFn sgd = nullptr;
  AdamFn adam = nullptr;
};

void f32_relu_ukernel_x1__scalar(size_t, const float*, float*);
void f32_relu_ukernel_x8__avx2(size_t, const float*, float*);
void f32_relu_ukernel_x16__avx512f(size_t, const float*, float*);
void f32_relu_bwd_ukernel_x1__scalar(size_t, const float*, const float*, float*);
void f32_relu_bwd_ukernel_x8__avx2(size_t, const float*, const float*, float*);
void f32_relu_bwd_ukernel_x16__avx512f(size_t, const float*, const float*, float*);
void f32_bias_add_ukernel_c1__scalar(size_t, size_t, const float*, const float*, float*);
void f32_colsum_ukernel_c1__scalar(size_t, size_t, const float*, float*);
void f32_colsum_sqdiff_ukernel_c1__scalar(size_t, size_t, const float*, const float*,
                                          float*, float*);
void f32_batchnorm_bwd_reduce_ukernel_c1__scalar(size_t, size_t, const float*, const float*,
                                                 const float*, float*, float*);
void f32_batchnorm_ukernel_c1__scalar(size_t, size_t, const float*, const float*, const float*,
                                      const float*, float*);
void f32_batchnorm_bwd_ukernel_c1__scalar(size_t, size_t, const float*, const float*,
                                          const float*, const float*, const float*, const float*,
                                          float*);
void f32_bias_add_ukernel_c8__avx2(size_t, size_t, const float*, const float*, float*);
void f32_bias_add_ukernel_c16__avx512f(size_t, size_t, const float*, const float*, float*);
void f32_colsum_ukernel_c32__avx2(size_t, size_t, const float*, float*);
void f32_colsum_ukernel_c64__avx512f(size_t, size_t, const float*, float*);
void f32_colsum_sqdiff_ukernel_c32__avx2(size_t, size_t, const float*, const float*,
                                         float*, float*);
void f32_colsum_sqdiff_ukernel_c64__avx512f(size_t, size_t, const float*, const float*,
                                            float*, float*);
void f32_batchnorm_bwd_reduce_ukernel_c32__avx2(size_t, size_t, const float*, const float*,
                                                const float*, float*, float*);
void f32_batchnorm_bwd_reduce_ukernel_c64__avx512f(size_t, size_t, const float*, const float*,
                                                   const float*, float*, float*);
void f32_batchnorm_ukernel_c8__avx2(size_t, size_t, const float*, const float*, const float*,
                                    const float*, float*);
void f32_batchnorm_ukernel_c16__avx512f(size_t, size_t, const float*, const float*, const float*,
                                        const float*, float*);
void f32_batchnorm_bwd_ukernel_c8__avx2(size_t, size_t, const float*, const float*, const float*,
                                        const float*, const float*, const float*, float*);
void f32_batchnorm_bwd_ukernel_c16__avx512f(size_t, size_t, const float*, const float*,
                                            const float*, const float*, const float*,
                                            const float*, float*);
void f32_softmax_ukernel_c1__scalar(size_t, size_t, const float*, float*);
void f32_softmax_bwd_ukernel_c1__scalar(size_t, size_t, const float*, const float*, float*);
void f32_softmax_bwd_ukernel_c8__avx2(size_t, size_t, const float*, const float*, float*);
void f32_softmax_bwd_ukernel_c16__avx512f(size_t, size_t, const float*, const float*, float*);
double f32_softmax_xent_ukernel_c1__scalar(size_t, const float*, const float*, int64_t, float,
                                           float*);
void f32_softmax_ukernel_c8__avx2(size_t, size_t, const float*, float*);
void f32_softmax_ukernel_c16__avx512f(size_t, size_t, const float*, float*);
double f32_softmax_xent_ukernel_c8__avx2(size_t, const float*, const float*, int64_t, float,
                                         float*);
double f32_softmax_xent_ukernel_c16__avx512f(size_t, const float*, const float*, int64_t, float,
                                             float*);
void f32_dropout_ukernel_x1__scalar(size_t, uint64_t, uint64_t, uint64_t, float, const float*,
                                    float*, uint8_t*);
void f32_dropout_bwd_ukernel_x1__scalar(size_t, const float*, const uint8_t*, float, float*);
void f32_dropout_ukernel_x8__avx2(size_t, uint64_t, uint64_t, uint64_t, float, const float*,
                                  float*, uint8_t*);
void f32_dropout_ukernel_x16__avx512f(size_t, uint64_t, uint64_t, uint64_t, float, const float*,
                                      float*, uint8_t*);
void f32_dropout_bwd_ukernel_x8__avx2(size_t, const float*, const uint8_t*, float, float*);
void f32_dropout_bwd_ukernel_x16__avx512f(size_t, const float*, const uint8_t*, float, float*);
void f32_lrn_ukernel_c1__scalar(size_t, size_t, const float*, float*, int64_t, float, float,
                                float);
void f32_lrn_bwd_ukernel_c1__scalar(size_t, size_t, const float*, const float*, float*, int64_t,
                                    float, float, float);
void f32_lrn_ukernel_c4__avx2(size_t, size_t, const float*, float*, int64_t, float, float, float);
void f32_lrn_ukernel_c8__avx512f(size_t, size_t, const float*, float*, int64_t, float, float,
                                 float);
void f32_lrn_bwd_ukernel_c4__avx2(size_t, size_t, const float*, const float*, float*, int64_t,
                                  float, float, float);
void f32_lrn_bwd_ukernel_c8__avx512f(size_t, size_t, const float*, const float*, float*, int64_t,
                                     float, float, float);
void f32_sgd_ukernel_x1__scalar(size_t, float*, const float*, float*, float, float, bool);
void f32_sgd_ukernel_x8__avx2(size_t, float*, const float*, float*, float, float, bool);
void f32_sgd_ukernel_x16__avx512f(size_t, float*, const float*, float*, float, float, bool);
void f32_adam_ukernel_x1__scalar(size_t, float*, const float*, float*, float*,
                                 const AdamParams&);
void f32_adam_ukernel_x8__avx2(size_t, float*, const float*, float*, float*, const AdamParams&);
void f32_adam_ukernel_x16__avx512f(size_t, float*, const float*, float*, float*,
                                   const AdamParams&);

}  // namespace fastconv
