// Convolution backward-data: dx = col2im(dy[M x F] . w^T[F x K]).
//
// Stride 1 runs as a transposed convolution on the forward path (below). Otherwise the column matrix is produced a chunk of output rows at a time (bounded workspace in
// thread_scratch slot 2; the GEMM driver owns slots 0 and 1) and folded back into dx by a
// gather: every input row (n, ih) touched by the chunk adds the contributions of the chunk's
// output rows in a fixed tap order. One thread owns each dx row within a chunk, and chunks are
// processed in a fixed sequence whose size does not depend on the thread count, so dx is
// bit-identical for any number of threads.
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "common/buffer.h"
#include "common/parallel.h"
#include "conv/conv.h"
#include "conv/conv_gemm.h"
#include "conv/conv_winograd.h"
#include "dispatch/table.h"
#include "gemm/driver.h"

namespace fastconv {
namespace {

// Floats of column matrix per chunk: large enough for an efficient GEMM (hundreds of rows),
// small enough to stay in the last-level cache between the GEMM and the fold.
constexpr int64_t kChunkFloats = int64_t{1} << 20;

struct RowTask {
  int64_t n, ih;
};

// The stride-1 transposed convolution's kernel: w (KH, KW, C, F) flipped in space with C and F
// swapped, wt[ki][kj][f][c] = w[KH-1-ki][KW-1-kj][c][f], seen as the K' x C matrix
// (K' = KH*KW*F) of the forward pass. Per tap that is the transpose of a C x F block, done by
// the ISA's transposing pack (register transposes: every store writes 8 consecutive floats),
// straight into the forward pass's NR-column panels or, for the paths that need the array,
// into wt. (An element-wise transpose took ~10 ms for a 3x3x512x512 kernel; a blocked scalar
// one still ~2.4 ms, 40% of ResNet-18's 2x2x512 backward-data at batch 16.)
class FlippedTranspose final : public ConvWeightSource {
 public:
  FlippedTranspose(const float* w, int64_t kh, int64_t kw, int64_t c, int64_t f)
      : w_(w), kh_(kh), kw_(kw), c_(c), f_(f) {}

  // w's C x F block of the tap that lands at position `tap` of wt.
  const float* tap_block(int64_t tap) const {
    const int64_t ki = tap / kw_, kj = tap % kw_;
    return w_ + ((kh_ - 1 - ki) * kw_ + (kw_ - 1 - kj)) * c_ * f_;
  }

  // All of wt (K' x C, row stride C), one tap per task.
  void materialize(float* wt) const {
    const int64_t taps = kh_ * kw_;
    const int nt = threads_for(static_cast<double>(taps) * c_ * f_, 1.0e5);
    const PackTransposeFn packt = active_table().packt;
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t tap = 0; tap < taps; ++tap)
      packt(tap_block(tap), f_, static_cast<int>(c_), f_, static_cast<int>(c_),
            wt + tap * f_ * c_);
  }

  void pack(int64_t j0, int64_t nj, int nr, float* dst) const override {
    const PackTransposeFn packt = active_table().packt;
    for (int64_t tap = 0; tap < kh_ * kw_; ++tap)
      packt(tap_block(tap) + j0 * f_, f_, static_cast<int>(nj), f_, nr, dst + tap * f_ * nr);
  }

 private:
  const float* w_;
  int64_t kh_, kw_, c_, f_;
};

}  // namespace

// dy (N,OH,OW,F), w (KH,KW,C,F) -> dx (N,H,W,C).
void conv2d_bwd_data(const ConvShape& s, const float* dy, const float* w, float* dx) {
  const int64_t C = s.c, F = s.f, K = s.k(), H = s.h, W = s.w;
  const int64_t M = s.m();
  const int64_t dx_size = s.n * H * W * C;
  MatrixPackB pb(w, F, true);  // op(B) = w^T (F x K); w is stored K x F

  if (s.pointwise()) {
    // col2im is the identity: dx (M x C) = dy . w^T directly.
    MatrixPackA pa(dy, F, false);
    GemmProblem g;
    g.m = M;
    g.n = C;
    g.k = F;
    g.a = &pa;
    g.b = &pb;
    g.c = dx;
    g.ldc = C;
    conv_gemm_plain_rows(dy, F, g);  // chunks of rows that threads take dynamically
    return;
  }

  const int64_t eh = (s.kh - 1) * s.dh, ew = (s.kw - 1) * s.dw;
  // With very few input channels the transposed GEMM would have N = C columns, too narrow for
  // the microkernel; the column path keeps N = KH*KW*C.
  if (C >= 8 && s.sh == 1 && s.sw == 1 && s.pt <= eh && s.pb <= eh && s.pl <= ew && s.pr <= ew) {
    // Stride 1: dx is the forward convolution of dy, padded by (extent - 1 - pad), with the
    // kernel flipped in space and C/F swapped. That runs on the implicit-im2col forward path
    // with no column workspace and no scatter.
    ConvShape t;
    t.n = s.n, t.h = s.oh, t.w = s.ow, t.c = F;
    t.kh = s.kh, t.kw = s.kw, t.f = C;
    t.dh = s.dh, t.dw = s.dw;
    t.pt = eh - s.pt, t.pb = eh - s.pb, t.pl = ew - s.pl, t.pr = ew - s.pr;
    t.oh = H, t.ow = W;  // (OH + 2 eh - pt - pb) - eh = H for stride 1
    const FlippedTranspose flipped(w, s.kh, s.kw, C, F);
    // The indirect GEMM packs its panels straight from w; Winograd and the deep-K fallback
    // want the flipped kernel as an array.
    if (!conv_use_winograd(t) && conv2d_fwd_igemm(t, dy, flipped, nullptr, false, dx)) return;
    float* wt = thread_scratch(3, static_cast<size_t>(K * F));  // conv2d_fwd uses slot 2
    flipped.materialize(wt);
    conv2d_fwd(t, dy, wt, nullptr, false, dx);
    return;
  }

  {
    const int nt = threads_for(static_cast<double>(dx_size), 1.0e5);
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t i = 0; i < s.n * H; ++i) std::memset(dx + i * W * C, 0, sizeof(float) * W * C);
  }
  if (M == 0) return;

  const int64_t total_rows = s.n * s.oh;  // output rows (n, oh) of the whole batch
  const int64_t row_floats = s.ow * K;
  const int64_t chunk_rows = std::max<int64_t>(1, kChunkFloats / row_floats);
  float* cols = thread_scratch(2, static_cast<size_t>(std::min(chunk_rows, total_rows) * row_floats));
  std::vector<RowTask> tasks;

  for (int64_t r0 = 0; r0 < total_rows; r0 += chunk_rows) {
    const int64_t r1 = std::min(total_rows, r0 + chunk_rows);
    MatrixPackA pa(dy + r0 * s.ow * F, F, false);
    GemmProblem g;
    g.m = (r1 - r0) * s.ow;
    g.n = K;
    g.k = F;
    g.a = &pa;
    g.b = &pb;
    g.c = cols;
    g.ldc = K;
    gemm_run(g);

    // Input rows touched by output rows [r0, r1): per image, oh in [oa, ob) reaches
    // ih in [oa*sh - pt, (ob-1)*sh - pt + (KH-1)*dh].
    tasks.clear();
    for (int64_t n = r0 / s.oh; n * s.oh < r1; ++n) {
      const int64_t oa = std::max(r0 - n * s.oh, int64_t{0});
      const int64_t ob = std::min(r1 - n * s.oh, s.oh);
      const int64_t lo = std::max(oa * s.sh - s.pt, int64_t{0});
      const int64_t hi = std::min((ob - 1) * s.sh - s.pt + (s.kh - 1) * s.dh + 1, H);
      for (int64_t ih = lo; ih < hi; ++ih) tasks.push_back(RowTask{n, ih});
    }
    const int64_t ntasks = static_cast<int64_t>(tasks.size());
    const int nt = threads_for(static_cast<double>(ntasks) * W * s.kh * s.kw * C, 2.0e4);
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t t = 0; t < ntasks; ++t) {
      const int64_t n = tasks[t].n, ih = tasks[t].ih;
      float* dx_row = dx + (n * H + ih) * W * C;
      for (int64_t ki = 0; ki < s.kh; ++ki) {
        const int64_t th = ih + s.pt - ki * s.dh;
        if (th < 0 || th % s.sh != 0) continue;
        const int64_t oh = th / s.sh;
        const int64_t r = n * s.oh + oh;
        if (oh >= s.oh || r < r0 || r >= r1) continue;
        const float* cols_row = cols + (r - r0) * row_floats + ki * s.kw * C;
        // Scatter along the row: output column ow, tap kj lands on iw = ow*sw - pl + kj*dw.
        // The order (ki, ow, kj) is fixed, and this thread owns the whole dx row.
        for (int64_t ow = 0; ow < s.ow; ++ow) {
          const int64_t iw_base = ow * s.sw - s.pl;
          const float* src = cols_row + ow * K;
          for (int64_t kj = 0; kj < s.kw; ++kj) {
            const int64_t iw = iw_base + kj * s.dw;
            if (iw < 0 || iw >= W) continue;
            float* out = dx_row + iw * C;
            const float* sp = src + kj * C;
            for (int64_t c = 0; c < C; ++c) out[c] += sp[c];
          }
        }
      }
    }
  }
}

}  // namespace fastconv
