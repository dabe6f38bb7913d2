// Packing of plain matrices into micro-panels (layouts in gemm/ukernel.h).
// Two cases are plain copies (each depth row of a panel is a contiguous run of the source) and
// stay portable; the two that transpose (row-major A, transposed B) go through the active
// table's transposing pack kernel, whose SIMD versions write whole vectors instead of one float
// per strided store.
#include <algorithm>
#include <cstring>

#include "dispatch/table.h"
#include "gemm/driver.h"

namespace fastconv {

void MatrixPackA::pack(int64_t i0, int64_t rows, int64_t p0, int64_t kc, int mr,
                       float* dst) const {
  const PackTransposeFn packt = active_table().packt;
  for (int64_t ib = 0; ib < rows; ib += mr) {
    const int h = static_cast<int>(std::min<int64_t>(mr, rows - ib));
    float* panel = dst + ib * kc;
    if (trans_) {
      // A stored k x m: for each depth p the panel's mr values are contiguous in A.
      for (int64_t p = 0; p < kc; ++p) {
        const float* src = a_ + (p0 + p) * lda_ + i0 + ib;
        float* out = panel + p * mr;
        for (int i = 0; i < h; ++i) out[i] = src[i];
        for (int i = h; i < mr; ++i) out[i] = 0.0f;
      }
    } else {
      // A stored m x k: the panel is the transpose of h rows.
      packt(a_ + (i0 + ib) * lda_ + p0, lda_, h, kc, mr, panel);
    }
  }
}

void MatrixPackB::pack(int64_t p0, int64_t kc, int64_t j0, int64_t cols, int nr,
                       float* dst) const {
  const PackTransposeFn packt = active_table().packt;
  for (int64_t jb = 0; jb < cols; jb += nr) {
    const int w = static_cast<int>(std::min<int64_t>(nr, cols - jb));
    float* panel = dst + jb * kc;
    if (!trans_) {
      // B stored k x n: each depth row of the panel is a contiguous run of w floats.
      for (int64_t p = 0; p < kc; ++p) {
        const float* src = b_ + (p0 + p) * ldb_ + j0 + jb;
        float* out = panel + p * nr;
        std::memcpy(out, src, sizeof(float) * w);
        for (int j = w; j < nr; ++j) out[j] = 0.0f;
      }
    } else {
      // B stored n x k: the panel is the transpose of w rows.
      packt(b_ + (j0 + jb) * ldb_ + p0, ldb_, w, kc, nr, panel);
    }
  }
}

}  // namespace fastconv
