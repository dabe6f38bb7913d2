// Convolution forward: y[M x F] = im2col(x)[M x K] . w[K x F] (+ bias) (relu), with
// M = N*OH*OW output pixels and K = KH*KW*C.
//
// Main path: the indirect-GEMM microkernel (conv/conv_ukernel.h). The weights are packed once
// into NR-column panels (or read in place when only a few tiles share them); each block of MR
// output pixels gets a table of KH*KW*MR pointers into x (or into a zero row for padding), and
// the microkernel broadcasts straight from the image. Nothing proportional to M*K is ever
// copied. Threads (OpenMP, or the task pool for small jobs) take tasks of pixel tiles x weight
// panels; each tile of y is computed by one microkernel call, so y is identical for any thread
// count.
//
// 3x3 stride-1 convolutions with enough channels run Winograd F(2x2, 3x3) instead
// (conv2d_winograd.cpp; FASTCONV_CONV_ALGO / conv_use_winograd decide).
//
// Fallback for a very deep K (the NR-wide weight panel would no longer stay in L2): the shared
// GEMM driver with the implicit-im2col packer.
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "common/buffer.h"
#include "common/parallel.h"
#include "common/task_pool.h"
#include "conv/conv.h"
#include "conv/conv_gemm.h"
#include "conv/conv_pack.h"
#include "conv/conv_winograd.h"
#include "dispatch/table.h"
#include "gemm/driver.h"

namespace fastconv {
namespace {

constexpr int64_t kMaxIgemmDepth = 8192;  // 8192 x 32 floats = 1 MiB weight panel
// Packed weights up to this size are walked whole for every tile of pixels (they stay in L2).
constexpr int64_t kL2Weights = int64_t{1} << 20;
constexpr int64_t kSmallRun = 8;  // tiles per task when the weights fit in L2
constexpr int64_t kBigRun = 16;   // most tiles per task (one panel each) when they do not
constexpr int64_t kMergeRowsMaxC = 16;  // fewer channels: one tap per kernel row (below)
constexpr int64_t kTasksPerThread = 6;  // for few pixels: tasks wanted per thread of the team
constexpr int64_t kInPlaceMaxTiles = 20;  // weights read unpacked up to this many tiles

// The HWIO kernel itself: column block [j0, j0 + nj) of the K x F matrix, row by row.
class PlainWeights final : public ConvWeightSource {
 public:
  PlainWeights(const float* w, int64_t k, int64_t f) : w_(w), k_(k), f_(f) {}
  void pack(int64_t j0, int64_t nj, int nr, float* dst) const override {
    for (int64_t k = 0; k < k_; ++k) {
      std::memcpy(dst + k * nr, w_ + k * f_ + j0, sizeof(float) * nj);
      std::fill(dst + k * nr + nj, dst + (k + 1) * nr, 0.0f);
    }
  }
  const float* in_place(int64_t* ld) const override {
    *ld = f_;
    return w_;
  }

 private:
  const float* w_;
  int64_t k_, f_;
};

// y = im2col(x) . w on the shared GEMM driver. A pointwise convolution is a plain GEMM with x
// as A (read in place by the microkernel, or packed by the plain matrix packer), in chunks of
// rows that threads take dynamically (conv_gemm_plain_rows; the driver's own split, one fixed
// half per thread, waited on a descheduled thread: 8x56x56x256 -> 64 on 2 threads, p25 5.3 ->
// 5.2 ms, min 5.1 -> 4.7); otherwise the implicit-im2col packer gathers from the image and
// threads take chunks of rows (conv_gemm_rows).
void conv2d_fwd_gemm(const ConvShape& s, const float* x, const float* w, const float* bias,
                     bool relu, float* y) {
  MatrixPackA plain(x, s.c, false);
  Im2colPackA gather(s, x);
  MatrixPackB pb(w, s.f, false);
  GemmProblem g;
  g.m = s.m();
  g.n = s.f;
  g.k = s.k();
  g.a = s.pointwise() ? static_cast<const PackA*>(&plain) : &gather;
  g.b = &pb;
  g.c = y;
  g.ldc = s.f;
  g.bias = bias;
  g.relu = relu;
  if (s.pointwise()) conv_gemm_plain_rows(x, s.c, g);
  else conv_gemm_rows(g);
}

}  // namespace

bool conv_direct1_applies(const ConvShape& s) {
  return s.c == 1 && s.kh * s.kw <= 9 && active_table().conv_direct1.ukernel != nullptr;
}

Direct1Input conv_direct1_input(const ConvShape& s, const float* x) {
  Direct1Input in;
  in.hp = s.pt + s.h + s.pb;
  in.wp = s.pl + s.w + s.pr;
  float* xp = thread_scratch(5, static_cast<size_t>(s.n * in.hp * in.wp));
  std::fill(xp, xp + s.n * in.hp * in.wp, 0.0f);
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t ih = 0; ih < s.h; ++ih)
      std::memcpy(xp + (n * in.hp + ih + s.pt) * in.wp + s.pl, x + (n * s.h + ih) * s.w,
                  sizeof(float) * s.w);
  for (int64_t ki = 0; ki < s.kh; ++ki)
    for (int64_t kj = 0; kj < s.kw; ++kj)
      in.off[ki * s.kw + kj] = ki * s.dh * in.wp + kj * s.dw;
  in.xp = xp;
  return in;
}

void conv_direct1_row(const ConvShape& s, const Direct1Input& in, int64_t r, const float* w,
                      const float* bias, bool relu, float* yrow) {
  const ConvDirect1Kernel& d1 = active_table().conv_direct1;
  const int64_t n = r / s.oh, oh = r % s.oh, F = s.f;
  const float* x0 = in.xp + (n * in.hp + oh * s.sh) * in.wp;
  for (int64_t j0 = 0; j0 < F; j0 += d1.nr)
    d1.ukernel(s.ow, x0, s.sw, in.off, static_cast<int>(s.kh * s.kw), w + j0, F,
               bias ? bias + j0 : nullptr, relu, yrow + j0, F,
               static_cast<int>(std::min<int64_t>(d1.nr, F - j0)));
}

// x (N,H,W,C), w (KH,KW,C,F), bias (F) or null -> y (N,OH,OW,F).
void conv2d_fwd(const ConvShape& s, const float* x, const float* w, const float* bias, bool relu,
                float* y) {
  const int64_t M = s.m(), K = s.k(), F = s.f;
  if (M == 0) return;
  if (const int tile = conv_winograd_tile(s)) {
    conv2d_fwd_winograd(s, tile, x, w, bias, relu, y);
    return;
  }
  if (const int tile = conv_s2d_winograd_tile(s)) {
    conv2d_fwd_s2d_winograd(s, tile, x, w, bias, relu, y);
    return;
  }

  // One input channel and <= 9 taps (the first layer on grey images): the direct kernel keeps
  // the weights in registers and walks output rows of a zero-padded copy of x (N*Hp*Wp floats,
  // small next to the N*OH*OW*F output), so every tap is a fixed offset and no pointer table
  // is built. Each output row is one thread's, so y does not depend on the thread count.
  if (conv_direct1_applies(s)) {
    const Direct1Input in = conv_direct1_input(s, x);
    const int64_t rows = s.n * s.oh;
    const int nt1 = threads_for(2.0 * M * K * F, 1.0e6);
#pragma omp parallel for schedule(dynamic, 4) num_threads(nt1)
    for (int64_t r = 0; r < rows; ++r) conv_direct1_row(s, in, r, w, bias, relu, y + r * s.ow * F);
    return;
  }

  // A pointwise convolution is the plain GEMM y[M x F] = x[M x C] . w[C x F]; the GEMM driver
  // beats the pointer tables there (1 thread: 8x56x56x64 -> 256 8.4 -> 7.7 ms, 1x14x14x1024 ->
  // 256 1.38 -> 1.09 ms, 8x56x56x256 -> 64 9.4 -> 9.3 ms), except with weights too large for L2
  // and few pixels (1x7x7x512 -> 2048: 1.50 ms on the indirect GEMM's one-panel-per-task path,
  // 1.96 ms on the driver).
  if (s.pointwise() && (K * F * static_cast<int64_t>(sizeof(float)) <= kL2Weights || M >= 256)) {
    conv2d_fwd_gemm(s, x, w, bias, relu, y);
    return;
  }

  PlainWeights source(w, K, F);
  if (!conv2d_fwd_igemm(s, x, source, bias, relu, y)) conv2d_fwd_gemm(s, x, w, bias, relu, y);
}

bool conv2d_fwd_igemm(const ConvShape& s, const float* x, const ConvWeightSource& wsrc,
                      const float* bias, bool relu, float* y) {
  const ConvIgemmKernel& kern = active_table().conv_igemm;
  const int64_t M = s.m(), K = s.k(), F = s.f, C = s.c;
  const int64_t ntaps = s.kh * s.kw;
  if (kern.ukernel == nullptr || K > kMaxIgemmDepth) return false;
  if (conv_direct1_applies(s)) return false;
  if (M == 0) return true;
  const int MR = kern.mr, NR = kern.nr;
  const int64_t npanels = (F + NR - 1) / NR;


  // Offset of each tap from a receptive field's top-left pixel, and the field's extent.
  std::vector<int64_t> tap_off(static_cast<size_t>(ntaps));
  for (int64_t ki = 0; ki < s.kh; ++ki)
    for (int64_t kj = 0; kj < s.kw; ++kj)
      tap_off[ki * s.kw + kj] = (ki * s.dh * s.w + kj * s.dw) * C;
  const int64_t eh = (s.kh - 1) * s.dh, ew = (s.kw - 1) * s.dw;

  const bool pointwise = s.pointwise();
  float* zeros = nullptr;  // C (or KW*C, see merge_rows) zeros, set below
  // The pointer table of the MR output pixels starting at m0 (tap-major, see conv_ukernel.h).
  auto fill_ptrs = [&](int64_t m0, int m, const float** ptrs) {
    int64_t ow = m0 % s.ow, t = m0 / s.ow;
    int64_t oh = t % s.oh, n = t / s.oh;
    for (int i = 0; i < MR; ++i) {
      if (i >= m) {
        for (int64_t tap = 0; tap < ntaps; ++tap) ptrs[tap * MR + i] = zeros;
        continue;
      }
      const float* img = x + n * s.h * s.w * C;
      const int64_t ih0 = oh * s.sh - s.pt, iw0 = ow * s.sw - s.pl;
      const float** row_ptrs = ptrs + i;
      if (ih0 >= 0 && ih0 + eh < s.h && iw0 >= 0 && iw0 + ew < s.w) {
        // The whole receptive field is inside the image: every tap is a fixed offset.
        const float* base = img + (ih0 * s.w + iw0) * C;
        for (int64_t tap = 0; tap < ntaps; ++tap) row_ptrs[tap * MR] = base + tap_off[tap];
      } else {
        for (int64_t ki = 0, tap = 0; ki < s.kh; ++ki) {
          const int64_t ih = ih0 + ki * s.dh;
          const bool row_ok = ih >= 0 && ih < s.h;
          for (int64_t kj = 0; kj < s.kw; ++kj, ++tap) {
            const int64_t iw = iw0 + kj * s.dw;
            row_ptrs[tap * MR] =
                (row_ok && iw >= 0 && iw < s.w) ? img + (ih * s.w + iw) * C : zeros;
          }
        }
      }
      if (++ow == s.ow) {
        ow = 0;
        if (++oh == s.oh) {
          oh = 0;
          ++n;
        }
      }
    }
  };

  // Few channels (AlexNet's and ResNet's RGB first layers): one tap reads only C floats, so the
  // microkernel would reload its MR pointers every C steps. With no horizontal dilation, the KW
  // taps of a kernel row read KW*C consecutive floats of the image, in the order the weights are
  // packed (k = (ki*KW + kj)*C + c), so each kernel row is presented as one tap of KW*C
  // channels. Receptive-field rows that cross the left or right edge are copied, zero-filled,
  // into the thread's `edge` buffer (MR*KH rows of KW*C floats). Measured 1 thread, CPU time:
  // AlexNet 11x11x3 stride 4 at batch 8 14.8 -> 13.1 ms; ResNet's 7x7x3 stride 2 stem at
  // 16x70x70 4.1 -> 2.6 ms; 5x5x3 -> 32 at 100x32x32 12.3 -> 9.1 ms; 3x3x8 -> 32 unchanged.
  const bool merge_rows = C < kMergeRowsMaxC && s.dw == 1 && s.kw > 1;
  const int64_t taps = merge_rows ? s.kh : ntaps, tap_c = merge_rows ? s.kw * C : C;
  auto fill_rows = [&](int64_t m0, int m, const float** ptrs, float* edge) {
    int64_t ow = m0 % s.ow, t = m0 / s.ow;
    int64_t oh = t % s.oh, n = t / s.oh;
    for (int i = 0; i < MR; ++i) {
      if (i >= m) {
        for (int64_t ki = 0; ki < s.kh; ++ki) ptrs[ki * MR + i] = zeros;
        continue;
      }
      const float* img = x + n * s.h * s.w * C;
      const int64_t ih0 = oh * s.sh - s.pt, iw0 = ow * s.sw - s.pl;
      const bool inside_w = iw0 >= 0 && iw0 + ew < s.w;
      for (int64_t ki = 0; ki < s.kh; ++ki) {
        const int64_t ih = ih0 + ki * s.dh;
        const float** slot = ptrs + ki * MR + i;
        if (ih < 0 || ih >= s.h) {
          *slot = zeros;
        } else if (inside_w) {
          *slot = img + (ih * s.w + iw0) * C;
        } else {
          float* row = edge + (ki * MR + i) * tap_c;
          const int64_t lo = std::max<int64_t>(0, -iw0), hi = std::min<int64_t>(s.kw, s.w - iw0);
          std::fill(row, row + tap_c, 0.0f);
          if (hi > lo)
            std::memcpy(row + lo * C, img + (ih * s.w + iw0 + lo) * C,
                        sizeof(float) * (hi - lo) * C);
          *slot = row;
        }
      }
      if (++ow == s.ow) {
        ow = 0;
        if (++oh == s.oh) {
          oh = 0;
          ++n;
        }
      }
    }
  };

  // Work is cut into tasks of (a run of pixel tiles) x (a range of weight panels).
  // Weights that fit in L2 next to the pixels (the lab CNN, ResNet's early stages): a task is 8
  // tiles against every panel, so a tile's pointer table and input rows are reused across all
  // panels while the weights stay in L2. Larger weights (ResNet's late stages: 3x3x512x512 is
  // 9.4 MB): walking all of them per tile streams them from L3 or memory once per 12 pixels,
  // which held a batch-1 7x7x512 layer at 50 GF/s on 1 or 2 threads. There a task is up to 16
  // tiles against one panel: the panel is read into L2 once per 16 tiles, and with few pixels
  // (batch 1, 7x7) the panels give the threads something to share.
  const int64_t nblocks = (M + MR - 1) / MR;
  const int team = threads_for(2.0 * M * K * F, 1.0e6);  // threads the job is worth
  const bool big_weights = npanels * K * NR * static_cast<int64_t>(sizeof(float)) > kL2Weights;
  int64_t run, nruns, groups;  // tasks: nruns runs of `run` tiles x `groups` groups of panels
  if (big_weights) {
    nruns = (nblocks + kBigRun - 1) / kBigRun;
    run = (nblocks + nruns - 1) / nruns;  // balanced: 17 tiles run as 9 + 8, not 16 + 1
    groups = npanels;
  } else {
    // Few pixels (batch 1) on several threads: shorter runs, and the panels split too, so that
    // the job is at least kTasksPerThread tasks per thread. The two vCPUs of this machine often
    // run at different speeds (one layer 65 us on one, 98 on the other), and with 4 tasks the
    // faster thread waited for the slower one's second task; with ~12 it takes more of them.
    // Runs are balanced (17 tiles as 6 + 6 + 5, not 8 + 8 + 1). Lab CNN batch 1, 2 threads,
    // median of 2,000 calls each, interleaved by 10: 4 tasks -> 12: 157-181 -> 141-172 us in
    // eight runs (7x7x64 -> 128: 4 -> 10 tasks of 1 tile x 2 panels; 14x14x32 -> 64: 6 -> 18).
    const int64_t want = team > 1 ? kTasksPerThread * team : 1;
    run = std::max<int64_t>(1, std::min<int64_t>(kSmallRun, nblocks * npanels / want));
    nruns = (nblocks + run - 1) / run;
    run = (nblocks + nruns - 1) / nruns;
    groups = nruns >= want ? 1 : std::min(npanels, (want + nruns - 1) / nruns);
  }
  const int64_t group = (npanels + groups - 1) / groups;  // panels per group
  groups = (npanels + group - 1) / group;
  const int64_t ntasks = nruns * groups;

  // Weights that fit are packed once into panels (K x NR each) that every task reads. Large
  // ones are packed by each task into its thread's own buffer, just before use: a panel
  // (K x NR floats) then goes from w straight into L2, and the whole packed copy (9.4 MB for
  // 3x3x512x512) is never written out and read back; the re-packing per run of tiles costs
  // one read of w per 16 x MR pixels (~1/100 of the arithmetic's time). Measured against
  // packing all panels up front, 1 thread: 7x7x512 -> 512 batch 1 3.8 vs 6.2 ms, ResNet-18's
  // 2x2x512 -> 512 at batch 16 3.9 vs 6.1 ms; 8x14x14x256 -> 256 17.6 vs 16.5 (noise level).
  // Slot 2 of the calling thread: the shared panels (if any), then the zero row that padding
  // taps and rows past the last pixel point at.
  const bool per_task = big_weights;
  // Few tiles (batch-1 layers): packing is a pass over all the weights that only a few tiles
  // share, so the microkernel reads the HWIO kernel in place instead (rows F floats apart;
  // whole panels only, so F % NR == 0). Past ~20 tiles the packed panel's sequential rows win.
  // Measured 1 thread, packed -> in place: 7x7x64 -> 128 batch 1 / 2 (5 / 9 tiles) -2% / -8%,
  // 14x14x32 -> 64 batch 1 (17 tiles) -4%; batch 8 (33 tiles) +13%, 28x28x128 -> 128 (66) +13%.
  int64_t ldw = 0;
  const float* w_direct = wsrc.in_place(&ldw);
  if (per_task || F % NR != 0 || nblocks > kInPlaceMaxTiles) w_direct = nullptr;
  const int64_t shared = (per_task || w_direct) ? 0 : npanels * K * NR;
  float* wp = thread_scratch(2, static_cast<size_t>(shared + tap_c));
  zeros = wp + shared;
  std::fill(zeros, zeros + tap_c, 0.0f);
  auto pack_panel = [&](int64_t jp, float* dst) {
    const int64_t j0 = jp * NR;
    wsrc.pack(j0, std::min<int64_t>(NR, F - j0), NR, dst);
  };

  // At least two tasks per thread: every thread of the team has to be scheduled to reach the
  // closing barrier, which on a busy machine can cost milliseconds, so a team only pays when
  // there is work to share (batch-1 lab CNN 7x7x64 -> 128: 5 tiles, 24 ms on 2 threads instead
  // of 70 us before this cap).
  const int nt = static_cast<int>(std::max<int64_t>(
      1, std::min<int64_t>(team, ntasks / 2)));
  // One task: its run of tiles against its group of panels. `own_panel` is the thread's
  // buffer for a per-task panel, `ptrs` and `edge` its pointer table and edge rows.
  auto do_task = [&](int64_t task, float* own_panel, const float** ptrs, float* edge) {
    UkernelParams params;
    params.relu = relu;
    params.ldw = w_direct ? ldw : 0;
    const int64_t r = task / groups;
    const int64_t p0 = (task % groups) * group, p1 = std::min(npanels, p0 + group);
    if (per_task) pack_panel(p0, own_panel);  // one panel per task
    const int64_t b_end = std::min(nblocks, (r + 1) * run);
    for (int64_t blk = r * run; blk < b_end; ++blk) {
      const int64_t m0 = blk * MR;
      const int m = static_cast<int>(std::min<int64_t>(MR, M - m0));
      if (merge_rows) fill_rows(m0, m, ptrs, edge);
      else fill_ptrs(m0, m, ptrs);
      // A pointwise convolution reads each pixel once (for every panel of the task, but the
      // tile's rows stay in L1 between panels), from MR row streams of C floats: too short
      // for the hardware prefetchers to ramp up, so the tile's first pass waited on memory.
      // The next tile's rows are the contiguous block after this tile's: fetch them now
      // (1x1 256 -> 64 at 8x56x56, 1 thread: 12.6 -> 10.0 ms).
      if (pointwise && m0 + 2 * MR <= M) {
        const char* nxt = reinterpret_cast<const char*>(x + (m0 + MR) * C);
        const char* end = reinterpret_cast<const char*>(x + (m0 + 2 * MR) * C);
        for (; nxt < end; nxt += 64) __builtin_prefetch(nxt, 0, 3);
      }
      for (int64_t jp = p0; jp < p1; ++jp) {
        const int64_t j0 = jp * NR;
        params.bias = bias ? bias + j0 : nullptr;
        const float* panel =
            w_direct ? w_direct + j0 : per_task ? own_panel : wp + jp * K * NR;
        kern.ukernel(taps, tap_c, ptrs, panel, y + m0 * F + j0, F, m,
                     static_cast<int>(std::min<int64_t>(NR, F - j0)), params);
      }
    }
  };
  const size_t nptrs = static_cast<size_t>(ntaps * MR);
  const size_t nedge = merge_rows ? static_cast<size_t>(MR * s.kh * tap_c) : 0;

  // Small jobs with nothing to pack up front (batch-1 layers: weights read in place, or one
  // panel per task): the task pool, where the calling thread never waits for a helper that has
  // not started (common/task_pool.h). Measured 2 threads on a machine with other work running,
  // median us, OpenMP -> pool: 14x14x32 -> 64 batch 1 115 -> 60, 7x7x64 -> 128 105 -> 51 (1
  // thread: 101 and 88).
  if (nt > 1 && (per_task || w_direct) && 2.0 * M * K * F <= kTaskPoolMaxFlops) {
    run_tasks(ntasks, nt, [&](int64_t task) {
      // Per thread, kept between tasks and calls (a job is ~12 tasks of a few microseconds).
      thread_local std::vector<const float*> ptrs;
      thread_local std::vector<float> edge;
      if (ptrs.size() < nptrs) ptrs.resize(nptrs);
      if (edge.size() < nedge) edge.resize(nedge);
      float* own_panel = per_task ? thread_scratch(8, static_cast<size_t>(K * NR)) : nullptr;
      do_task(task, own_panel, ptrs.data(), edge.data());
    });
    return true;
  }

#pragma omp parallel num_threads(nt)
  {
    if (!per_task && !w_direct) {
#pragma omp for schedule(static)
      for (int64_t jp = 0; jp < npanels; ++jp) pack_panel(jp, wp + jp * K * NR);
    }
    float* own_panel = per_task ? thread_scratch(8, static_cast<size_t>(K * NR)) : nullptr;
    std::vector<const float*> ptrs(nptrs);
    std::vector<float> edge(nedge);
    // Dynamic tasks: a thread delayed on a busy machine takes fewer of them. Consecutive tasks
    // share a run of tiles (its input rows stay in L2) and step through the panel groups.
#pragma omp for schedule(dynamic, 1)
    for (int64_t task = 0; task < ntasks; ++task)
      do_task(task, own_panel, ptrs.data(), edge.data());
  }
  return true;
}

}  // namespace fastconv
