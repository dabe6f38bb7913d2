// Implicit-im2col packers (see conv_pack.h). Portable code: packing is O(M K) moves against
// O(M K F) multiply-adds, and every read below is a contiguous run of channels.
#include "conv/conv_pack.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "common/error.h"

namespace fastconv {

namespace {

// At least n zeros, owned by the calling thread.
const float* zero_floats(int64_t n) {
  thread_local std::vector<float> zeros;
  if (static_cast<int64_t>(zeros.size()) < n) zeros.assign(static_cast<size_t>(n), 0.0f);
  return zeros.data();
}

// One MR-row micro-panel of im2col(x): rows m0 .. m0+hgt-1 (hgt <= MR), depth [p0, p0+kc).
// For each tap the MR source pixels are looked up once, then their channel runs are
// interleaved into the panel: MR contiguous floats per depth step, read from MR sequential
// streams. MR is a template constant so the interleave unrolls into plain loads and stores.
template <int MR>
void im2col_panel(const ConvShape& s, const float* x, int64_t m0, int hgt, int64_t p0,
                  int64_t kc, int mr_rt, float* panel) {
  const int mr = MR > 0 ? MR : mr_rt;
  const int64_t C = s.c, KW = s.kw, H = s.h, W = s.w;
  constexpr int kMax = 64;
  // Per row: offset of its receptive field's top-left pixel in x (meaningful only when the
  // field is inside the image), its top-left input coordinates, and whether the whole field
  // is inside, in which case a tap is just a fixed offset and needs no bounds checks.
  int64_t base[kMax], ih0[kMax], iw0[kMax];
  bool inside[kMax];
  bool all_inside = true;
  const int64_t eh = (s.kh - 1) * s.dh, ew = (s.kw - 1) * s.dw;
  int64_t ow = m0 % s.ow, t = m0 / s.ow;
  int64_t oh = t % s.oh, n = t / s.oh;
  for (int i = 0; i < mr; ++i) {
    if (i < hgt) {
      ih0[i] = oh * s.sh - s.pt;
      iw0[i] = ow * s.sw - s.pl;
      base[i] = n * H * W * C + (ih0[i] * W + iw0[i]) * C;
      inside[i] = ih0[i] >= 0 && ih0[i] + eh < H && iw0[i] >= 0 && iw0[i] + ew < W;
      if (++ow == s.ow) {
        ow = 0;
        if (++oh == s.oh) {
          oh = 0;
          ++n;
        }
      }
    } else {
      ih0[i] = iw0[i] = base[i] = 0;
      inside[i] = false;  // rows past the edge of C are zero
    }
    all_inside = all_inside && inside[i];
  }
  const float* src[kMax];
  float* out = panel;
  // Padding taps and rows past the edge read from this zero row instead of branching.
  const float* zeros = zero_floats(C);
  for (int64_t p = p0, p_end = p0 + kc; p < p_end;) {
    const int64_t tap = p / C, cs = p - tap * C;
    const int64_t ce = std::min(C, cs + (p_end - p));
    const int64_t ki = tap / KW, kj = tap - ki * KW;
    const int64_t di = ki * s.dh, dj = kj * s.dw;
    const int64_t off = (di * W + dj) * C;
    if (all_inside) {
      for (int i = 0; i < mr; ++i) src[i] = x + base[i] + off;
    } else {
      for (int i = 0; i < mr; ++i) {
        const int64_t ih = ih0[i] + di, iw = iw0[i] + dj;
        const bool ok = inside[i] || (i < hgt && ih >= 0 && ih < H && iw >= 0 && iw < W);
        src[i] = ok ? x + base[i] + off : zeros;
      }
    }
    for (int64_t c = cs; c < ce; ++c) {
      float* o = out + (c - cs) * mr;
      for (int i = 0; i < mr; ++i) o[i] = src[i][c];
    }
    out += (ce - cs) * mr;
    p += ce - cs;
  }
}

}  // namespace

void Im2colPackA::pack(int64_t i0, int64_t rows, int64_t p0, int64_t kc, int mr,
                       float* dst) const {
  FASTCONV_CHECK(mr <= 64, "conv2d: microkernel MR=", mr, " exceeds 64");
  for (int64_t ib = 0; ib < rows; ib += mr) {
    const int hgt = static_cast<int>(std::min<int64_t>(mr, rows - ib));
    float* panel = dst + ib * kc;
    switch (mr) {
      case 4: im2col_panel<4>(s_, x_, i0 + ib, hgt, p0, kc, mr, panel); break;
      case 6: im2col_panel<6>(s_, x_, i0 + ib, hgt, p0, kc, mr, panel); break;
      case 12: im2col_panel<12>(s_, x_, i0 + ib, hgt, p0, kc, mr, panel); break;
      default: im2col_panel<0>(s_, x_, i0 + ib, hgt, p0, kc, mr, panel); break;
    }
  }
}

namespace {

// Panel-major, so each panel is written sequentially. The backward-filter pass packs this
// only for inputs with few channels (C < 8; wider inputs are read through per-tap pointers
// with no packing, conv2d_bwd_filter.cpp), where the runs are a few floats long.
void im2col_trans_panels(const ConvShape& s, const float* x_, int64_t i0, int64_t rows,
                         int64_t p0, int64_t kc, int mr, float* dst) {
  const int64_t C = s.c, KW = s.kw, H = s.h, W = s.w;
  // A panel's mr rows are mr consecutive depth indices k: at most mr runs of channels, each
  // inside one tap. Describe them once, then walk the output pixels m (the GEMM depth).
  struct Run {
    int64_t di, dj, c, len;  // tap offsets in input pixels (ki*dh, kj*dw), first channel
    int off;                 // position inside the panel row
  };
  constexpr int kMaxRuns = 64;
  Run runs[kMaxRuns];
  FASTCONV_CHECK(mr <= kMaxRuns, "conv2d_bwd_filter: microkernel MR=", mr, " exceeds ",
                 kMaxRuns);
  for (int64_t ib = 0; ib < rows; ib += mr) {
    const int hgt = static_cast<int>(std::min<int64_t>(mr, rows - ib));
    float* panel = dst + ib * kc;
    int nruns = 0;
    for (int64_t k = i0 + ib, k_end = i0 + ib + hgt; k < k_end;) {
      const int64_t tap = k / C, c = k - tap * C;
      const int64_t ki = tap / KW, kj = tap - ki * KW;
      const int64_t len = std::min(C - c, k_end - k);
      runs[nruns++] = Run{ki * s.dh, kj * s.dw, c, len, static_cast<int>(k - i0 - ib)};
      k += len;
    }
    int64_t ow = p0 % s.ow, t = p0 / s.ow;
    int64_t oh = t % s.oh, n = t / s.oh;
    for (int64_t p = 0; p < kc; ++p) {
      float* out = panel + p * mr;
      const float* img = x_ + n * H * W * C;
      const int64_t ih0 = oh * s.sh - s.pt, iw0 = ow * s.sw - s.pl;
      for (int r = 0; r < nruns; ++r) {
        const Run& run = runs[r];
        const int64_t ih = ih0 + run.di, iw = iw0 + run.dj;
        float* o = out + run.off;
        if (ih >= 0 && ih < H && iw >= 0 && iw < W) {
          const float* src = img + (ih * W + iw) * C + run.c;
          for (int64_t q = 0; q < run.len; ++q) o[q] = src[q];
        } else {
          for (int64_t q = 0; q < run.len; ++q) o[q] = 0.0f;
        }
      }
      for (int i = hgt; i < mr; ++i) out[i] = 0.0f;
      if (++ow == s.ow) {
        ow = 0;
        if (++oh == s.oh) {
          oh = 0;
          ++n;
        }
      }
    }
  }
}

}  // namespace

void Im2colTransPackA::pack(int64_t i0, int64_t rows, int64_t p0, int64_t kc, int mr,
                            float* dst) const {
  im2col_trans_panels(s_, x_, i0, rows, p0, kc, mr, dst);
}

}  // namespace fastconv
