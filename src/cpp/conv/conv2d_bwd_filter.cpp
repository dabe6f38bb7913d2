// Convolution backward-filter: dw[K x F] = im2col(x)^T[K x M] . dy[M x F] and db = the column
// sums of dy, a reduction over all M = N*OH*OW output pixels. Three paths:
//   taps    (C >= 8): the conv_bwdw microkernel reads x through per-tap pixel pointers, so
//           nothing is packed; dw tiles of kr channels x NR filters accumulate in registers;
//   direct  (C <= 4, short K): a zero-padded copy of x, every tap a fixed offset; the dw
//           panel and db stay in registers over runs of whole output rows;
//   GEMM    (pointwise, or few channels with a long K such as AlexNet's 11x11x3): the shared
//           driver with op(A) = im2col(x)^T.
// (3x3 stride-1 layers may take the Winograd path of conv2d_bwd_filter_winograd.cpp instead.)
// Every path splits the pixels into chunks whose number depends only on the shape, sums each
// chunk into its own partial on one thread, and adds the partials in chunk order, so the
// result never depends on the thread count.
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "common/parallel.h"
#include "conv/conv.h"
#include "conv/conv_pack.h"
#include "common/buffer.h"
#include "conv/conv_gemm.h"
#include "conv/conv_winograd_wgrad.h"
#include "dispatch/table.h"
#include "gemm/driver.h"

namespace fastconv {
namespace {

// The direct path serves layers whose receptive field is short (a first layer on a grey or
// RGB image): K = KH*KW*C rows of dw sit in registers (in groups of <= 9) while the kernel
// streams over pixels, where the GEMM driver would waste most of an MR-row tile and pay its
// packing per KC block.
constexpr int64_t kDirectMaxC = 4;
constexpr int64_t kDirectMaxK = 64;
// Pixels per block of the tap path: one NR-column strip of the block's dy (256 x 32 floats =
// 32 KiB) stays in L1 while every (tap, channel tile) of dw sweeps over it.
constexpr int64_t kTapBlockPix = 256;

// The same sum with no im2col at all (any C): per block of output pixels, each tap's source
// pixel pointers are looked up once (padding taps point at zeros), and the microkernel
// broadcasts the channels straight from x. Packing im2col(x)^T for the GEMM driver instead
// cost a fifth of the pass (12-float runs cut by tap boundaries, moved with 16-byte copies).
// db (the last row of out) is summed from the block's dy rows while they are in cache.
void bwd_filter_tap_range(const ConvShape& s, const float* x, const float* dy,
                          const float* zeros, int64_t m0, int64_t m1, float* out) {
  const ConvBwdFilterKernel& kern = active_table().conv_bwdw;
  const int64_t C = s.c, F = s.f, K = s.k(), ntaps = s.kh * s.kw;
  const int64_t H = s.h, W = s.w;
  thread_local std::vector<const float*> ptrs;
  ptrs.resize(static_cast<size_t>(ntaps * kTapBlockPix));
  float* db = out + K * F;
  for (int64_t p0 = m0; p0 < m1; p0 += kTapBlockPix) {
    const int64_t np = std::min(kTapBlockPix, m1 - p0);
    int64_t ow = p0 % s.ow, t = p0 / s.ow;
    int64_t oh = t % s.oh, n = t / s.oh;
    for (int64_t i = 0; i < np; ++i) {
      const int64_t ih0 = oh * s.sh - s.pt, iw0 = ow * s.sw - s.pl;
      const float* img = x + n * H * W * C;
      for (int64_t ki = 0, tap = 0; ki < s.kh; ++ki) {
        const int64_t ih = ih0 + ki * s.dh;
        for (int64_t kj = 0; kj < s.kw; ++kj, ++tap) {
          const int64_t iw = iw0 + kj * s.dw;
          ptrs[tap * np + i] =
              (ih >= 0 && ih < H && iw >= 0 && iw < W) ? img + (ih * W + iw) * C : zeros;
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
    const float* dyb = dy + p0 * F;
    for (int64_t j0 = 0; j0 < F; j0 += kern.nr) {
      const int nn = static_cast<int>(std::min<int64_t>(kern.nr, F - j0));
      for (int64_t tap = 0; tap < ntaps; ++tap)
        for (int64_t c0 = 0; c0 < C; c0 += kern.kr)
          kern.ukernel(np, ptrs.data() + tap * np, c0, dyb + j0, F,
                       out + (tap * C + c0) * F + j0, F,
                       static_cast<int>(std::min<int64_t>(kern.kr, C - c0)), nn);
    }
    for (int64_t i = 0; i < np; ++i) {
      const float* row = dyb + i * F;
      for (int64_t j = 0; j < F; ++j) db[j] += row[j];
    }
  }
}

// Splits the output pixels into chunks whose number depends only on the shape; chunk t sums
// into its own (K+1) x F partial (dw rows, then db) on one thread with no barriers, and the
// partials are added in chunk order, so dw and db are the same for any thread count.
template <class RangeFn>
void bwd_filter_chunked(const ConvShape& s, int64_t min_pix, float* dw, float* db,
                        RangeFn range) {
  const int64_t M = s.m(), K = s.k(), K1 = K + 1, F = s.f;
  const int64_t total = K1 * F;
  const int64_t budget = int64_t{1} << 22;  // floats of partial results (16 MiB)
  const int64_t nchunks0 = std::min<int64_t>(
      {16, std::max<int64_t>(1, M / min_pix), std::max<int64_t>(1, budget / total)});
  const int64_t chunk = (M + nchunks0 - 1) / nchunks0;
  const int64_t nchunks = (M + chunk - 1) / chunk;
  float* partial = thread_scratch(2, static_cast<size_t>(nchunks * total));
  const int nt = omp_get_max_active_levels() > 1
                     ? 1
                     : threads_for(2.0 * static_cast<double>(M) * K1 * F, 1.0e6);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
  for (int64_t t = 0; t < nchunks; ++t) {
    float* out = partial + t * total;
    std::fill(out, out + total, 0.0f);
    range(t * chunk, std::min(M, (t + 1) * chunk), out);
  }
  // Sum the partials into the first, chunk by chunk (contiguous, vectorised; each element is
  // still p0 + p1 + p2 + ... in chunk order), then split it into dw and db.
  float* sum = partial;
  for (int64_t t = 1; t < nchunks; ++t) {
    const float* part = partial + t * total;
    for (int64_t e = 0; e < total; ++e) sum[e] += part[e];
  }
  std::copy(sum, sum + K * F, dw);
  if (db != nullptr) std::copy(sum + K * F, sum + total, db);
}

// Output pixels per kernel call of the padded direct path: the run's dy rows (at most 256 KiB)
// stay in L2 while the column panels and tap groups sweep over them.
constexpr int64_t kDirectRunFloats = int64_t{1} << 16;

// The padded direct path (few channels, short K): the sum over output pixels [m0, m1) of
// x(tap) * dy into out ((K+1) x F: dw rows, then db), from a zero-padded copy xp of x
// (N, Hp, Wp, C) in which every (ki, kj, c) of a pixel's receptive field is a fixed offset.
// The pixels go to the kernel as runs of whole output rows of one image (a partial first or
// last row alone); each run is swept by every column panel and every group of <= 9 taps.
void bwd_filter_padded_range(const ConvShape& s, const float* xp, int64_t Hp, int64_t Wp,
                             const int64_t* tap_off, const float* dy, int64_t m0, int64_t m1,
                             float* out) {
  const ConvBwdFilterDirectKernel& kern = active_table().conv_bwdw_direct;
  const int64_t C = s.c, F = s.f, K = s.k(), OW = s.ow, OH = s.oh;
  const int64_t xrs = s.sh * Wp * C, xs = s.sw * C;
  const int64_t ngroups = (K + kConvBwdFilterDirectMaxTaps - 1) / kConvBwdFilterDirectMaxTaps;
  const int64_t group = (K + ngroups - 1) / ngroups;  // balanced: K = 27 runs as 9 + 9 + 9
  const int64_t max_rows = std::max<int64_t>(1, kDirectRunFloats / (F * OW));
  for (int64_t p = m0; p < m1;) {
    const int64_t n = p / (OH * OW), oh = p / OW % OH, ow = p % OW;
    int64_t nrows = 1, npix = std::min(OW - ow, m1 - p);
    if (ow == 0 && npix == OW)
      nrows = std::min({OH - oh, (m1 - p) / OW, max_rows});
    const float* x0 = xp + ((n * Hp + oh * s.sh) * Wp + ow * s.sw) * C;
    for (int64_t j0 = 0; j0 < F; j0 += kern.nr) {
      const int nn = static_cast<int>(std::min<int64_t>(kern.nr, F - j0));
      for (int64_t k0 = 0; k0 < K; k0 += group)
        kern.ukernel(nrows, npix, x0, xrs, xs, tap_off + k0,
                     static_cast<int>(std::min(group, K - k0)), dy + p * F + j0, F,
                     out + k0 * F + j0, F, k0 == 0 ? out + K * F + j0 : nullptr, nn);
    }
    p += nrows * npix;
  }
}

// Few input channels (a first layer on a grey or RGB image): the padded direct path. x is
// copied once into a zero-padded image (skipped when there is no padding), so the kernel
// reads every tap at a fixed offset and keeps the dw panel in registers for a whole run of
// pixels (1 thread, CPU time, lab layer 100x28x28x1 -> 32: 2.2 -> 0.9 ms, now bound by
// reading dy; an im2col block with a trailing 1 per pixel, packed for the conv_bwdw kernel,
// spent more time packing than multiplying). 3x3x3 -> 32 at 32x32x32 1.2 -> 0.8 ms, 5x5x1 ->
// 6 valid at 100x28x28 2.3 -> 0.55 ms..
void conv2d_bwd_filter_padded(const ConvShape& s, const float* x, const float* dy, float* dw,
                              float* db) {
  const int64_t C = s.c, H = s.h, W = s.w;
  const bool padded = s.pt + s.pb + s.pl + s.pr > 0;
  const int64_t Hp = s.pt + H + s.pb, Wp = s.pl + W + s.pr;
  const float* xp = x;
  if (padded) {
    float* buf = thread_scratch(5, static_cast<size_t>(s.n * Hp * Wp * C));
    const int ntp = threads_for(static_cast<double>(s.n * Hp * Wp * C), 1.0e5);
#pragma omp parallel for schedule(static) num_threads(ntp)
    for (int64_t n = 0; n < s.n; ++n) {
      float* img = buf + n * Hp * Wp * C;
      std::fill(img, img + s.pt * Wp * C, 0.0f);
      for (int64_t ih = 0; ih < H; ++ih) {
        float* row = img + (s.pt + ih) * Wp * C;
        std::fill(row, row + s.pl * C, 0.0f);
        std::memcpy(row + s.pl * C, x + (n * H + ih) * W * C, sizeof(float) * W * C);
        std::fill(row + (s.pl + W) * C, row + Wp * C, 0.0f);
      }
      std::fill(img + (s.pt + H) * Wp * C, img + Hp * Wp * C, 0.0f);
    }
    xp = buf;
  }
  std::vector<int64_t> tap_off(static_cast<size_t>(s.k()));
  for (int64_t ki = 0, k = 0; ki < s.kh; ++ki)
    for (int64_t kj = 0; kj < s.kw; ++kj)
      for (int64_t c = 0; c < C; ++c, ++k) tap_off[k] = (ki * s.dh * Wp + kj * s.dw) * C + c;
  bwd_filter_chunked(s, 1024, dw, db, [&](int64_t m0, int64_t m1, float* out) {
    bwd_filter_padded_range(s, xp, Hp, Wp, tap_off.data(), dy, m0, m1, out);
  });
}

void conv2d_bwd_filter_taps(const ConvShape& s, const float* x, const float* dy, float* dw,
                            float* db) {
  const std::vector<float> zeros(static_cast<size_t>(s.c), 0.0f);
  bwd_filter_chunked(s, 2048, dw, db, [&](int64_t m0, int64_t m1, float* out) {
    bwd_filter_tap_range(s, x, dy, zeros.data(), m0, m1, out);
  });
}

}  // namespace

// x (N,H,W,C), dy (N,OH,OW,F) -> dw (KH,KW,C,F), db (F) or null.
void conv2d_bwd_filter(const ConvShape& s, const float* x, const float* dy, float* dw,
                       float* db) {
  // 3x3 stride-1 layers with enough tiles and channels: Winograd F(3x3, 2x2)
  // (conv2d_bwd_filter_winograd.cpp), 2.25x fewer multiply-adds.
  if (const int tile = conv_bwd_filter_winograd_tile(s)) {
    conv2d_bwd_filter_winograd(s, tile, x, dy, dw, db);
    return;
  }
  const bool pointwise = s.pointwise();
  const int64_t M = s.m(), F = s.f;
  // For a pointwise conv im2col(x) is x itself (M x C), so op(A) = x^T.
  MatrixPackA plain(x, s.c, true);
  Im2colTransPackA gather(s, x);
  const PackA& pa = pointwise ? static_cast<const PackA&>(plain) : gather;
  const int64_t K = s.k();
  if (s.c <= kDirectMaxC && K < kDirectMaxK && !pointwise && M > 0 &&
      active_table().conv_bwdw_direct.ukernel != nullptr) {
    conv2d_bwd_filter_padded(s, x, dy, dw, db);
    return;
  }
  // C >= 8: the microkernel reads x through per-tap pointers, no im2col packing (1 thread,
  // CPU time, lab layer 14x14x32->64: 6.5 -> 6.1 ms). Fewer channels make kr-row tiles too
  // short to keep the FMA units busy (AlexNet's 11x11x3: 79 ms f+b on the GEMM path, 98 here),
  // and a pointwise conv is a plain GEMM of x^T.
  // Below two chunks of pixels (M < 4096: ResNet's late stages at small images) the tap path
  // would run on one thread with a few dozen pixels per microkernel call; the GEMM driver
  // splits the K x F result between threads instead.
  if (M >= 4096 && s.c >= 8 && !pointwise) {
    conv2d_bwd_filter_taps(s, x, dy, dw, db);
    return;
  }

  // The reduction over M is split into chunks whose number depends only on the shape (never
  // on the thread count): each chunk is an independent GEMM into its own partial dw, run by
  // one thread with no barriers, and the partials are summed in chunk order. So the result is
  // the same for any number of threads, and a small K x F (few tiles for the driver to share)
  // still keeps every core busy.
  const int64_t min_rows = 2048;  // below this a chunk's GEMM is mostly overhead
  const int64_t budget = int64_t{1} << 22;  // floats of partial results (16 MiB)
  int64_t nchunks = std::min<int64_t>({16, std::max<int64_t>(1, M / min_rows),
                                       std::max<int64_t>(1, budget / std::max<int64_t>(1, K * F))});
  const int64_t chunk = std::max<int64_t>(1, (M + nchunks - 1) / nchunks);
  nchunks = std::max<int64_t>(1, (M + chunk - 1) / chunk);

  // A pointwise conv that narrows the channels (C >= 2F, a bottleneck's reduce layer) over
  // many pixels runs transposed, dw^T[F x C] = dy^T . x: the pack (a copy of op(A) per KC
  // block) then reads dy (F floats a pixel) instead of x (C floats), and x is read in place as
  // B. Measured 1 thread, CPU time: 8x56x56x256 -> 64 12.9 -> 11.2 ms, 8x28x28x512 -> 128
  // 12.9 -> 12.2 ms; C = F is a tie, and C < F or one chunk of pixels (1x14x14x1024 -> 256:
  // 1.3 -> 2.5 ms, x read in place with 4 KiB rows) lose. Every chunk then writes its own
  // partial dw^T, and their sum is transposed into dw.
  const bool swap = pointwise && s.c >= 2 * F && M >= 4096;
  const int64_t total = K * F;
  const int64_t nparts = swap ? nchunks : nchunks - 1;
  float* partial = nparts > 0 ? thread_scratch(2, static_cast<size_t>(nparts * total)) : nullptr;
  float* sum = swap ? partial : dw;  // chunk 0's result, where the others are added
  float* parts = swap ? partial + total : partial;  // chunk t >= 1 at parts + (t - 1) * total
  std::vector<float> db_parts(db != nullptr ? static_cast<size_t>(nchunks * F) : 0);
  // Chunk t reduces output pixels [t*chunk, ...) into sum (t = 0) or its own partial.
  auto run_chunk = [&](int64_t t) {
    const int64_t m0 = t * chunk;
    DepthOffsetPackA a(pa, m0);
    MatrixPackB b(dy + m0 * F, F, false);
    MatrixPackA at(dy + m0 * F, F, true);
    MatrixPackB bt(x + m0 * s.c, s.c, false);
    GemmProblem g;
    g.m = swap ? F : K;
    g.n = swap ? K : F;
    g.k = std::min(chunk, M - m0);
    g.a = swap ? static_cast<const PackA*>(&at) : &a;
    g.b = swap ? static_cast<const PackB*>(&bt) : &b;
    g.c = t == 0 ? sum : parts + (t - 1) * total;
    g.ldc = g.n;
    gemm_run(g);
    // The chunk's share of db, from its dy rows while they are still in cache.
    if (db != nullptr) {
      float* dbt = db_parts.data() + t * F;
      std::fill(dbt, dbt + F, 0.0f);
      for (int64_t i = m0; i < m0 + g.k; ++i) {
        const float* row = dy + i * F;
        for (int64_t j = 0; j < F; ++j) dbt[j] += row[j];
      }
    }
  };
  if (nchunks <= 1) {
    run_chunk(0);  // M == 0 gives dw = 0
  } else {
    const int nt = omp_get_max_active_levels() > 1
                       ? 1
                       : threads_for(2.0 * static_cast<double>(M) * K * F, 1.0e6);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (int64_t t = 0; t < nchunks; ++t) run_chunk(t);
    const int ntr = threads_for(static_cast<double>(total) * nchunks, 1.0e5);
#pragma omp parallel for schedule(static) num_threads(ntr)
    for (int64_t e0 = 0; e0 < total; e0 += 1024) {
      const int64_t e1 = std::min(total, e0 + 1024);
      for (int64_t t = 1; t < nchunks; ++t) {
        const float* part = parts + (t - 1) * total;
        for (int64_t e = e0; e < e1; ++e) sum[e] += part[e];
      }
    }
  }
  if (swap)
    for (int64_t j = 0; j < F; ++j)
      for (int64_t k = 0; k < K; ++k) dw[k * F + j] = sum[j * K + k];

  if (db != nullptr) {
    // The chunks' column sums of dy, added in chunk order (like dw: the same for any thread
    // count). Summing them in the chunk tasks reads each dy row once while it is in cache; a
    // separate pass had every thread read all of dy again for its columns.
    std::copy(db_parts.begin(), db_parts.begin() + F, db);
    for (int64_t t = 1; t < nchunks; ++t)
      for (int64_t j = 0; j < F; ++j) db[j] += db_parts[t * F + j];
  }
}

}  // namespace fastconv
