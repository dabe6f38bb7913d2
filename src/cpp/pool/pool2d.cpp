// Pooling drivers: clip each window to the real input, then call the active ISA's microkernel
// for one output pixel and all channels.
//
// Threads. Forward: output rows (n, oh) are independent, OpenMP splits them statically.
// Backward writes into dx, and windows may overlap, so the split depends on the geometry:
//   * windows tile dx exactly (stride == pool, the last window reaches the edge): each output row
//     owns its input rows; the kernel overwrites them (no zeroing pass, dx written once);
//   * windows do not overlap (stride >= pool): each output row owns a band of input rows; the
//     band is zeroed, then the kernel accumulates;
//   * windows overlap: one task per (image, 64-channel slice); it zeroes its slice and
//     accumulates every window in row-major order.
// In all three cases each dx element is written by one task in a fixed order, so the result is
// bit-identical for any thread count.
#include "pool/pool2d.h"

#include <algorithm>
#include <cstring>

#include "common/error.h"
#include "common/parallel.h"
#include "dispatch/table.h"

namespace fastconv {
namespace {

constexpr int64_t kOverlapChannelSlice = 64;
// Element visits per thread below which a second thread costs more than it saves.
constexpr double kMinWorkPerThread = 32768.0;

double pool_work(const Pool2dGeometry& g) {
  return double(g.n) * g.oh * g.ow * g.c * double(std::min(g.ph, g.h) * std::min(g.pw, g.w));
}

// Shared backward driver. `window_fn(n, oh, ow, k0, kc, accumulate)` handles one window for
// channels [k0, k0 + kc).
template <typename WindowFn>
void pool_bwd_drive(const Pool2dGeometry& g, float* dx, WindowFn window_fn) {
  const int64_t row = g.w * g.c, image = g.h * row;
  const int nt = threads_for(pool_work(g) * 2.0, kMinWorkPerThread);
  const bool non_overlapping = g.sh >= g.ph && g.sw >= g.pw;
  const bool tiles = g.sh == g.ph && g.sw == g.pw && (g.oh - 1) * g.sh - g.pt + g.ph >= g.h &&
                     (g.ow - 1) * g.sw - g.pl + g.pw >= g.w;
  if (non_overlapping) {
    const int64_t tasks = g.n * g.oh;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t t = 0; t < tasks; ++t) {
      const int64_t n = t / g.oh, oh = t % g.oh;
      if (!tiles) {
        const int64_t lo = oh == 0 ? 0 : std::max<int64_t>(oh * g.sh - g.pt, 0);
        const int64_t hi = oh == g.oh - 1 ? g.h : std::min((oh + 1) * g.sh - g.pt, g.h);
        if (hi > lo) std::memset(dx + n * image + lo * row, 0, sizeof(float) * (hi - lo) * row);
      }
      for (int64_t ow = 0; ow < g.ow; ++ow) window_fn(n, oh, ow, 0, g.c, !tiles);
    }
  } else {
    const int64_t slices = (g.c + kOverlapChannelSlice - 1) / kOverlapChannelSlice;
    const int64_t tasks = g.n * slices;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t t = 0; t < tasks; ++t) {
      const int64_t n = t / slices, k0 = (t % slices) * kOverlapChannelSlice;
      const int64_t kc = std::min(kOverlapChannelSlice, g.c - k0);
      float* d = dx + n * image + k0;
      for (int64_t p = 0; p < g.h * g.w; ++p) std::memset(d + p * g.c, 0, sizeof(float) * kc);
      for (int64_t oh = 0; oh < g.oh; ++oh)
        for (int64_t ow = 0; ow < g.ow; ++ow) window_fn(n, oh, ow, k0, kc, true);
    }
  }
}

}  // namespace

Pool2dGeometry make_pool2d_geometry(const char* op, int64_t n, int64_t h, int64_t w, int64_t c,
                                    int64_t ph, int64_t pw, int64_t sh, int64_t sw, int64_t pt,
                                    int64_t pb, int64_t pl, int64_t pr) {
  FASTCONV_CHECK(n >= 0 && h >= 1 && w >= 1 && c >= 0, op, ": x must be (N,H,W,C) with H, W >= 1, got (",
                 n, ", ", h, ", ", w, ", ", c, ")");
  FASTCONV_CHECK(ph >= 1 && pw >= 1, op, ": pool size must be >= 1, got (", ph, ", ", pw, ")");
  FASTCONV_CHECK(sh >= 1 && sw >= 1, op, ": strides must be >= 1, got (", sh, ", ", sw, ")");
  FASTCONV_CHECK(pt >= 0 && pb >= 0 && pl >= 0 && pr >= 0, op,
                 ": pads must be >= 0, got ((", pt, ", ", pb, "), (", pl, ", ", pr, "))");
  Pool2dGeometry g;
  g.n = n, g.h = h, g.w = w, g.c = c, g.ph = ph, g.pw = pw, g.sh = sh, g.sw = sw;
  g.pt = pt, g.pb = pb, g.pl = pl, g.pr = pr;
  FASTCONV_CHECK(h + pt + pb >= ph && w + pl + pr >= pw, op, ": pool window ", ph, "x", pw,
                 " is larger than padded input ", h + pt + pb, "x", w + pl + pr);
  g.oh = (h + pt + pb - ph) / sh + 1;
  g.ow = (w + pl + pr - pw) / sw + 1;
  // The first window starts at -pad and the last at (O-1)*s - pad: both must reach a real cell.
  FASTCONV_CHECK(pt < ph && (g.oh - 1) * sh - pt < h && pl < pw && (g.ow - 1) * sw - pl < w, op,
                 ": some window holds only padding (x (", n, ", ", h, ", ", w, ", ", c,
                 "), pool (", ph, ", ", pw, "), strides (", sh, ", ", sw, "), pads ((", pt, ", ",
                 pb, "), (", pl, ", ", pr, ")))");
  return g;
}

Pool2dGeometry global_pool2d_geometry(const char* op, int64_t n, int64_t h, int64_t w,
                                      int64_t c) {
  // Strides equal to the window make the (single) window tile dx, so backward overwrites dx.
  return make_pool2d_geometry(op, n, h, w, c, h, w, h, w, 0, 0, 0, 0);
}

void maxpool2d_fwd(const Pool2dGeometry& g, const float* x, float* y) {
  const MaxPoolFn kernel = active_table().pool.maxpool;
  const int64_t row = g.w * g.c, image = g.h * row;
  const int64_t tasks = g.n * g.oh;
  const int nt = threads_for(pool_work(g), kMinWorkPerThread);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t t = 0; t < tasks; ++t) {
    const int64_t n = t / g.oh, oh = t % g.oh;
    float* yrow = y + t * g.ow * g.c;
    for (int64_t ow = 0; ow < g.ow; ++ow) {
      const Pool2dWindow win = pool2d_window(g, oh, ow);
      kernel(g.c, win.r1 - win.r0, win.c1 - win.c0, x + n * image + win.r0 * row + win.c0 * g.c,
             row, g.c, yrow + ow * g.c);
    }
  }
}

void maxpool2d_bwd(const Pool2dGeometry& g, const float* x, const float* dy, float* dx,
                   bool relu_mask) {
  const MaxPoolBwdFn kernel = active_table().pool.maxpool_bwd;
  const int64_t row = g.w * g.c, image = g.h * row;
  pool_bwd_drive(g, dx, [&](int64_t n, int64_t oh, int64_t ow, int64_t k0, int64_t kc, bool acc) {
    const Pool2dWindow win = pool2d_window(g, oh, ow);
    const int64_t off = n * image + win.r0 * row + win.c0 * g.c + k0;
    kernel(kc, win.r1 - win.r0, win.c1 - win.c0, x + off, row, g.c,
           dy + ((n * g.oh + oh) * g.ow + ow) * g.c + k0, dx + off, acc, relu_mask);
  });
}

void avgpool2d_fwd(const Pool2dGeometry& g, const float* x, float* y) {
  const AvgPoolFn kernel = active_table().pool.avgpool;
  const int64_t row = g.w * g.c, image = g.h * row;
  const int64_t tasks = g.n * g.oh;
  const int nt = threads_for(pool_work(g), kMinWorkPerThread);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t t = 0; t < tasks; ++t) {
    const int64_t n = t / g.oh, oh = t % g.oh;
    float* yrow = y + t * g.ow * g.c;
    for (int64_t ow = 0; ow < g.ow; ++ow) {
      const Pool2dWindow win = pool2d_window(g, oh, ow);
      const int64_t count = (win.r1 - win.r0) * (win.c1 - win.c0);
      kernel(g.c, win.r1 - win.r0, win.c1 - win.c0, x + n * image + win.r0 * row + win.c0 * g.c,
             row, g.c, 1.0f / float(count), yrow + ow * g.c);
    }
  }
}

void avgpool2d_bwd(const Pool2dGeometry& g, const float* dy, float* dx) {
  const AvgPoolBwdFn kernel = active_table().pool.avgpool_bwd;
  const int64_t row = g.w * g.c, image = g.h * row;
  pool_bwd_drive(g, dx, [&](int64_t n, int64_t oh, int64_t ow, int64_t k0, int64_t kc, bool acc) {
    const Pool2dWindow win = pool2d_window(g, oh, ow);
    const int64_t count = (win.r1 - win.r0) * (win.c1 - win.c0);
    kernel(kc, win.r1 - win.r0, win.c1 - win.c0, dy + ((n * g.oh + oh) * g.ow + ow) * g.c + k0,
           1.0f / float(count), dx + n * image + win.r0 * row + win.c0 * g.c + k0, row, g.c,
           acc);
  });
}

}  // namespace fastconv
