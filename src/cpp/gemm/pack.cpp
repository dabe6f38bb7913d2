// Packing of plain matrices into micro-panels (layouts in gemm/ukernel.h).
// Portable code: packing moves O(mk + kn) data against O(mkn) arithmetic, and the loops below
// are written so each source row is read contiguously.
#include <algorithm>
#include <cstring>

#include "gemm/driver.h"

namespace fastconv {

void MatrixPackA::pack(int64_t i0, int64_t rows, int64_t p0, int64_t kc, int mr,
                       float* dst) const {
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
      // A stored m x k: read each of the h rows contiguously, scatter with stride mr.
      for (int i = 0; i < h; ++i) {
        const float* src = a_ + (i0 + ib + i) * lda_ + p0;
        for (int64_t p = 0; p < kc; ++p) panel[p * mr + i] = src[p];
      }
      for (int i = h; i < mr; ++i)
        for (int64_t p = 0; p < kc; ++p) panel[p * mr + i] = 0.0f;
    }
  }
}

void MatrixPackB::pack(int64_t p0, int64_t kc, int64_t j0, int64_t cols, int nr,
                       float* dst) const {
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
      // B stored n x k: read each of the w rows contiguously, scatter with stride nr.
      for (int j = 0; j < w; ++j) {
        const float* src = b_ + (j0 + jb + j) * ldb_ + p0;
        for (int64_t p = 0; p < kc; ++p) panel[p * nr + j] = src[p];
      }
      for (int j = w; j < nr; ++j)
        for (int64_t p = 0; p < kc; ++p) panel[p * nr + j] = 0.0f;
    }
  }
}

}  // namespace fastconv
