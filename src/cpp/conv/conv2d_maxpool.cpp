// Convolution followed by max pooling, for inference: y = maxpool(conv2d_fwd(x)).
//
// The lab CNN's first layer writes a 28x28x32 map per image (10 MB at batch 100) that the
// pooling reads straight back; on the single-channel direct path the two are fused per pooled
// row: the few convolution rows one pooled row needs are computed into the thread's L1-sized
// buffer and reduced there, so the full map never exists. Everything else computes the whole
// convolution into a scratch buffer and pools it (the same two calls as unfused), except the
// Winograd path, which pools each block of its output as it goes (conv2d_winograd.cpp).
//
// Both ways the result is bit-identical to conv2d_fwd then maxpool2d_fwd: each convolution row
// comes from the same microkernel calls, each pooled value from the same pooling kernel over
// the same (clipped) window.
#include <algorithm>

#include "common/buffer.h"
#include "common/parallel.h"
#include "common/task_pool.h"
#include "conv/conv.h"
#include "conv/conv_winograd.h"
#include "dispatch/table.h"
#include "pool/pool2d.h"

namespace fastconv {
namespace {

constexpr int kScratchRows = 9;  // thread_scratch slot: convolution rows / the whole map
// Fused first layers of at most this many flops share the work on the task pool (a batch-1
// first layer, ~10 us); larger ones use an OpenMP team.
constexpr double kFusedPoolMaxFlops = 1.6e7;

}  // namespace

namespace {

// Whether conv2d_fwd takes the single-channel direct path for s (it tries Winograd first: a
// forced "winograd" takes 3x3 single-channel layers there) and every convolution row belongs
// to at most one pooled row (strides >= the window vertically), so none is computed twice.
bool rows_fused(const ConvShape& s, const Pool2dGeometry& pg) {
  return conv_direct1_applies(s) && conv_winograd_tile(s) == 0 && pg.sh >= pg.ph;
}

}  // namespace

const char* conv2d_maxpool_path(const ConvShape& s, const Pool2dGeometry& pg) {
  if (rows_fused(s, pg)) return "direct1_rows";
  const int tile = conv_winograd_tile(s);
  return tile && conv_winograd_pools_blocks(s, tile, pg) ? "winograd_blocks" : "map";
}

void conv2d_maxpool_fwd(const ConvShape& s, const Pool2dGeometry& pg, const float* x,
                        const float* w, const float* bias, bool relu, float* y) {
  const int64_t F = s.f, OW = s.ow;
  if (s.m() == 0 || pg.oh == 0 || pg.ow == 0) return;
  if (!rows_fused(s, pg)) {
    // Winograd pools each block of its output while it is in L2 (the lab CNN's 100x14x14x32
    // -> 64 would otherwise write a 5 MB map out to L3 and read it back).
    if (const int tile = conv_winograd_tile(s))
      if (conv2d_fwd_winograd_maxpool(s, tile, &pg, x, w, bias, relu, y)) return;
    float* map = thread_scratch(kScratchRows, static_cast<size_t>(s.m() * F));
    conv2d_fwd(s, x, w, bias, relu, map);
    maxpool2d_fwd(pg, map, y);
    return;
  }
  const Direct1Input in = conv_direct1_input(s, x);
  const MaxPoolFn pool = active_table().pool.maxpool;
  const int64_t tasks = s.n * pg.oh;
  const auto pooled_row = [&](int64_t t) {
    const int64_t n = t / pg.oh, poh = t % pg.oh;
    // The windows' real rows [r0, r1), as maxpool2d_fwd clips them (pg.h == s.oh).
    const Pool2dWindow rows_of = pool2d_window(pg, poh, 0);
    const int64_t r0 = rows_of.r0, r1 = rows_of.r1;
    float* rows = thread_scratch(kScratchRows, static_cast<size_t>(pg.ph * OW * F));
    for (int64_t r = r0; r < r1; ++r)
      conv_direct1_row(s, in, n * s.oh + r, w, bias, relu, rows + (r - r0) * OW * F);
    float* yrow = y + t * pg.ow * F;
    for (int64_t pw = 0; pw < pg.ow; ++pw) {
      const Pool2dWindow win = pool2d_window(pg, poh, pw);
      pool(F, r1 - r0, win.c1 - win.c0, rows + win.c0 * F, OW * F, F, yrow + pw * F);
    }
  };
  const double flops = 2.0 * s.m() * s.k() * F;
  // A batch-1 first layer is ~10 us of work: on the task pool (no team barrier), in chunks of
  // pooled rows, the calling thread taking over whatever a helper has not started.
  const int ntp = get_num_threads();
  if (flops <= kFusedPoolMaxFlops && ntp > 1 && tasks >= 2) {
    const int64_t chunks = std::min<int64_t>(tasks, 2 * ntp);
    run_tasks(chunks, ntp, [&](int64_t c) {
      int64_t lo, hi;
      split_range(tasks, static_cast<int>(chunks), static_cast<int>(c), &lo, &hi);
      for (int64_t t = lo; t < hi; ++t) pooled_row(t);
    });
    return;
  }
  const int nt = threads_for(flops, 1.0e6);
#pragma omp parallel for schedule(dynamic, 4) num_threads(nt)
  for (int64_t t = 0; t < tasks; ++t) pooled_row(t);
}

}  // namespace fastconv
