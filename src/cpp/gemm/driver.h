// The cache-blocked GEMM driver that dense layers and all three convolution passes share.
// What differs between them is only how operands are packed (PackA / PackB below): a dense
// layer packs plain matrices, convolution gathers straight from the image (implicit im2col).
#pragma once

#include <cstdint>

#include "gemm/ukernel.h"

namespace fastconv {

// Packs rows [i0, i0 + rows) x depth [p0, p0 + kc) of op(A) into consecutive MR-row
// micro-panels (layout in gemm/ukernel.h). i0 is a multiple of MR; the last panel is
// zero-filled past `rows`. Must be safe to call concurrently (the driver's threads may pack
// the same rows, each into its own dst).
class PackA {
 public:
  virtual ~PackA() = default;
  virtual void pack(int64_t i0, int64_t rows, int64_t p0, int64_t kc, int mr,
                    float* dst) const = 0;
  // op(A) as a row-major m x k matrix that microkernels may read in place (row stride in *ld),
  // or nullptr (the default) when it has to be packed.
  virtual const float* in_place(int64_t* ld) const {
    (void)ld;
    return nullptr;
  }
};

// Packs depth [p0, p0 + kc) x columns [j0, j0 + cols) of op(B) into consecutive NR-column
// micro-panels; zero-filled past `cols`. Must be safe to call concurrently (also for the same
// range, each call into its own dst).
class PackB {
 public:
  virtual ~PackB() = default;
  virtual void pack(int64_t p0, int64_t kc, int64_t j0, int64_t cols, int nr,
                    float* dst) const = 0;
  // op(B) as a row-major k x n matrix that microkernels may read in place (row stride in *ld),
  // or nullptr (the default) when it has to be packed.
  virtual const float* in_place(int64_t* ld) const {
    (void)ld;
    return nullptr;
  }
};

struct GemmProblem {
  int64_t m = 0, n = 0, k = 0;
  const PackA* a = nullptr;
  const PackB* b = nullptr;
  float* c = nullptr;  // row-major m x n, row stride ldc
  int64_t ldc = 0;
  float alpha = 1.0f, beta = 0.0f;
  const float* bias = nullptr;  // n entries, added after the full product
  bool relu = false;            // applied last
};

// C = alpha * op(A) op(B) + beta * C (+ bias) (relu), with the active ISA's kernel.
// Products with at most active_table().gemv.max_m rows whose op(B) can be read in place take
// the table's GEMV kernel instead (a dense layer at batch 1; see gemv_run in driver.cpp).
// Bit-identical for every thread count: each element of C is produced by exactly one thread,
// with the same sequence of operations whatever the number of threads.
void gemm_run(const GemmProblem& problem, const GemmKernel& kernel);
void gemm_run(const GemmProblem& problem);  // active table's kernel

// Packers for plain row-major matrices with a leading dimension, optionally transposed.
class MatrixPackA final : public PackA {
 public:
  // op(A) is m x k; A is stored as m x k (trans=false) or k x m (trans=true), row stride lda.
  MatrixPackA(const float* a, int64_t lda, bool trans) : a_(a), lda_(lda), trans_(trans) {}
  void pack(int64_t i0, int64_t rows, int64_t p0, int64_t kc, int mr, float* dst) const override;
  const float* in_place(int64_t* ld) const override {
    if (trans_) return nullptr;
    *ld = lda_;
    return a_;
  }

 private:
  const float* a_;
  int64_t lda_;
  bool trans_;
};

class MatrixPackB final : public PackB {
 public:
  // op(B) is k x n; B is stored as k x n (trans=false) or n x k (trans=true), row stride ldb.
  MatrixPackB(const float* b, int64_t ldb, bool trans) : b_(b), ldb_(ldb), trans_(trans) {}
  void pack(int64_t p0, int64_t kc, int64_t j0, int64_t cols, int nr, float* dst) const override;
  const float* in_place(int64_t* ld) const override {
    if (trans_) return nullptr;
    *ld = ldb_;
    return b_;
  }

 private:
  const float* b_;
  int64_t ldb_;
  bool trans_;
};

}  // namespace fastconv
