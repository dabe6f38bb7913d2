// How the convolution passes drive the shared GEMM engine.
#pragma once

#include <cstdint>

#include "gemm/driver.h"

namespace fastconv {

// A PackA view of rows [row0, ...) of another PackA: lets a row chunk of a problem be run as
// a GEMM of its own.
class RowOffsetPackA final : public PackA {
 public:
  RowOffsetPackA(const PackA& a, int64_t row0) : a_(a), row0_(row0) {}
  void pack(int64_t i0, int64_t rows, int64_t p0, int64_t kc, int mr, float* dst) const override {
    a_.pack(row0_ + i0, rows, p0, kc, mr, dst);
  }

 private:
  const PackA& a_;
  int64_t row0_;
};

// A PackA view that starts at depth d0 of another PackA: one chunk of a long reduction.
class DepthOffsetPackA final : public PackA {
 public:
  DepthOffsetPackA(const PackA& a, int64_t d0) : a_(a), d0_(d0) {}
  void pack(int64_t i0, int64_t rows, int64_t p0, int64_t kc, int mr, float* dst) const override {
    a_.pack(i0, rows, d0_ + p0, kc, mr, dst);
  }

 private:
  const PackA& a_;
  int64_t d0_;
};

// Runs g (C = op(A) op(B) (+bias)(relu), beta 0) as independent GEMMs over chunks of rows of C,
// which threads take dynamically. A convolution's M (output pixels) is large and its N
// (filters) small, so each thread packing its own rows needs no barrier between the packing
// and the microkernels, and a late thread on a busy machine only delays its own chunk.
// Bit-identical for any thread count: a row of C is computed with the same depth blocking and
// the same operation sequence whichever chunk and thread it falls in.
void conv_gemm_rows(const GemmProblem& g);

// The same for op(A) a plain row-major matrix a (row stride lda; g.a is ignored), e.g. a
// pointwise convolution's x or dy: chunks of kPlainChunkTiles row-tiles, each a GEMM whose A
// the microkernel can read in place. Threads take chunks dynamically, so a thread delayed on a
// busy machine takes fewer (the driver's own split is one fixed rectangle per thread). The
// chunks depend only on the shape: bit-identical for any thread count.
constexpr int64_t kPlainChunkTiles = 96;
void conv_gemm_plain_rows(const float* a, int64_t lda, const GemmProblem& g);

}  // namespace fastconv
