// Activation, loss, dropout, normalisation and optimizer entry points (float32, C-contiguous).
// Shapes: "(..., C)" means any leading axes flattened to M rows of C channels (NHWC is (N*H*W, C)).
// All are bit-identical for any thread count.
#pragma once

#include <cstdint>

namespace fastconv {

// x (n) -> y (n)
void relu_fwd(int64_t n, const float* x, float* y);
// x (n), dy (n) -> dx (n)
void relu_bwd(int64_t n, const float* x, const float* dy, float* dx);
// x (M, C), b (C) -> y (M, C)
void bias_add_fwd(int64_t m, int64_t c, const float* x, const float* b, float* y);
// dy (M, C) -> db (C), sum over the M rows in fixed-size row blocks combined in order.
void bias_add_bwd(int64_t m, int64_t c, const float* dy, float* db);
// z (M, K) -> p (M, K)
void softmax_fwd(int64_t m, int64_t k, const float* z, float* p);
// y (M, K), dy (M, K) -> dz (M, K)
void softmax_bwd(int64_t m, int64_t k, const float* y, const float* dy, float* dz);
// logits (N, K), targets t (N, K) or labels (N) (exactly one non-null) -> mean loss,
// dlogits (N, K) = (softmax - t) / N; N = 0 gives NaN (mean of nothing). Labels must be in
// [0, K) (checked, ValueError).
double softmax_xent_fwd(int64_t n, int64_t k, const float* z, const float* t,
                        const int64_t* labels, float* dz);
// x (n) -> y (n), mask (n) (1 = kept). rate in [0, 1).
void dropout_fwd(int64_t n, const float* x, double rate, uint64_t seed, float* y, uint8_t* mask);
// dy (n), mask (n) -> dx (n)
void dropout_bwd(int64_t n, const float* dy, const uint8_t* mask, double rate, float* dx);
// x (M, C), gamma/beta/moving_mean/moving_var (C) -> y (M, C), new_mean/new_var (C),
// save_mean/save_invstd (C). Training: biased batch statistics; inference: moving statistics.
void batch_norm_fwd(int64_t m, int64_t c, const float* x, const float* gamma, const float* beta,
                    const float* moving_mean, const float* moving_var, bool training,
                    double momentum, double epsilon, float* y, float* new_mean, float* new_var,
                    float* save_mean, float* save_invstd);
// dy (M, C), x (M, C), gamma/save_mean/save_invstd (C) -> dx (M, C), dgamma (C), dbeta (C).
void batch_norm_bwd(int64_t m, int64_t c, const float* dy, const float* x, const float* gamma,
                    const float* save_mean, const float* save_invstd, float* dx, float* dgamma,
                    float* dbeta);
// x (M, C) -> y (M, C); dy (M, C) -> dx (M, C)
void lrn_fwd(int64_t m, int64_t c, const float* x, float* y, int64_t radius, double bias,
             double alpha, double beta);
void lrn_bwd(int64_t m, int64_t c, const float* x, const float* dy, float* dx, int64_t radius,
             double bias, double alpha, double beta);
// In place over n parameters. velocity may be null iff momentum == 0.
void sgd_update(int64_t n, float* param, const float* grad, float* velocity, double lr,
                double momentum, bool nesterov);
void adam_update(int64_t n, float* param, const float* grad, float* m, float* v, double lr,
                 double beta_1, double beta_2, double epsilon, int64_t step);

}  // namespace fastconv
