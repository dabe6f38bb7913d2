// Implicit-im2col packers (see conv_pack.h). Portable code: packing is O(M K) moves against
// O(M K F) multiply-adds, and every read below is a contiguous run of channels.
#include "conv/conv_pack.h"

#include <algorithm>
#include <cstring>

#include "common/error.h"

namespace fastconv {

void Im2colPackA::pack(int64_t i0, int64_t rows, int64_t p0, int64_t kc, int mr,
                       float* dst) const {
  const ConvShape& s = s_;
  const int64_t C = s.c, KW = s.kw, H = s.h, W = s.w;
  const int64_t p_end = p0 + kc;
  // Where the depth range starts: tap (ki0, kj0), channel c0. Same for every row.
  const int64_t tap0 = p0 / C, c0 = p0 - tap0 * C;
  const int64_t ki0 = tap0 / KW, kj0 = tap0 - ki0 * KW;
  for (int64_t ib = 0; ib < rows; ib += mr) {
    const int hgt = static_cast<int>(std::min<int64_t>(mr, rows - ib));
    float* panel = dst + ib * kc;
    int64_t m = i0 + ib;
    int64_t ow = m % s.ow, t = m / s.ow;
    int64_t oh = t % s.oh, n = t / s.oh;
    for (int i = 0; i < hgt; ++i) {
      const float* img = x_ + n * H * W * C;
      const int64_t ih0 = oh * s.sh - s.pt, iw0 = ow * s.sw - s.pl;
      float* out = panel + i;
      int64_t p = p0, c = c0, ki = ki0, kj = kj0;
      while (p < p_end) {
        const int64_t run = std::min(C - c, p_end - p);
        const int64_t ih = ih0 + ki * s.dh, iw = iw0 + kj * s.dw;
        if (ih >= 0 && ih < H && iw >= 0 && iw < W) {
          const float* src = img + (ih * W + iw) * C + c;
          for (int64_t q = 0; q < run; ++q) out[q * mr] = src[q];
        } else {
          for (int64_t q = 0; q < run; ++q) out[q * mr] = 0.0f;
        }
        out += run * mr;
        p += run;
        c = 0;
        if (++kj == KW) {
          kj = 0;
          ++ki;
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
    for (int i = hgt; i < mr; ++i)
      for (int64_t p = 0; p < kc; ++p) panel[p * mr + i] = 0.0f;
  }
}

void Im2colTransPackA::pack(int64_t i0, int64_t rows, int64_t p0, int64_t kc, int mr,
                            float* dst) const {
  const ConvShape& s = s_;
  const int64_t C = s.c, KW = s.kw, H = s.h, W = s.w;
  // A panel's mr rows are mr consecutive depth indices k: at most mr runs of channels, each
  // inside one tap. Describe them once, then walk the output pixels m (the GEMM depth).
  struct Run {
    int64_t di, dj, c, len;  // tap offsets in input pixels (ki*dh, kj*dw), first channel
    int off;                 // position inside the panel row
  };
  constexpr int kMaxRuns = 64;
  Run runs[kMaxRuns];
  FASTCONV_CHECK(mr <= kMaxRuns, "conv2d_bwd_filter: microkernel MR=", mr, " exceeds ", kMaxRuns);
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

}  // namespace fastconv
