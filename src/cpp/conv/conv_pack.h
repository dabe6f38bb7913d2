// Packers that let the GEMM driver read convolution operands straight from NHWC tensors
// (implicit im2col): each fills the micro-panel layout of gemm/ukernel.h directly, so no
// im2col matrix of the whole batch is ever built.
//
// Depth index of a receptive field: k = (ki * KW + kj) * C + c, the order of the HWIO kernel
// rows, so w (KH,KW,C,F) is the K x F matrix B with no repacking beyond MatrixPackB.
// A run of consecutive k inside one tap is a run of consecutive channels of one input pixel,
// which is contiguous in NHWC memory: the packers copy those runs, or zeros for padding.
#pragma once

#include <cstdint>

#include "conv/conv.h"
#include "gemm/driver.h"

namespace fastconv {

// op(A) = im2col(x), M x K: row m = (n, oh, ow), column k = (ki, kj, c).
class Im2colPackA final : public PackA {
 public:
  Im2colPackA(const ConvShape& s, const float* x) : s_(s), x_(x) {}
  void pack(int64_t i0, int64_t rows, int64_t p0, int64_t kc, int mr, float* dst) const override;

 private:
  const ConvShape& s_;
  const float* x_;
};

// op(A) = im2col(x)^T, K x M: row k = (ki, kj, c), depth m = (n, oh, ow). Used by the
// backward-filter pass, whose GEMM reduces over all output pixels of the batch.
class Im2colTransPackA final : public PackA {
 public:
  Im2colTransPackA(const ConvShape& s, const float* x) : s_(s), x_(x) {}
  void pack(int64_t i0, int64_t rows, int64_t p0, int64_t kc, int mr, float* dst) const override;

 private:
  const ConvShape& s_;
  const float* x_;
};

}  // namespace fastconv
