// Strided convolutions through space-to-depth and Winograd.
//
// A stride-s convolution with a KH x KW kernel is an ordinary stride-1 convolution of the image
// cut into s x s blocks. Write the padded input as blocks X(i, j) = x[i s .. i s + s - 1,
// j s .. j s + s - 1, :], one "pixel" of s*s*C channels (channel (p s + q) C + c is
// x[i s + p, j s + q, c]), and the kernel the same way: W(a, b) = w[a s .. a s + s - 1,
// b s .. b s + s - 1, :, :], taps past KH or KW zero. Then
//   y(i, j) = sum_{a, b} sum_{p, q, c} w[a s + p, b s + q, c] x[(i + a) s + p, (j + b) s + q, c]
//           = sum_{a, b} W(a, b) . X(i + a, j + b),
// a stride-1 'valid' convolution of X with a ceil(KH/s) x ceil(KW/s) kernel. When that is 3x3
// (AlexNet's 11x11 stride 4: 57 x 57 blocks of 48 channels, kernel 3 x 3 x 48 x 96), it runs
// on the Winograd forward path: F(4x4, 3x3) does 36 instead of 144 multiply-adds per 16 outputs
// and channel pair, so 11x11x3 (363 per output and filter) becomes 3x3x48 / 4 = 108, plus the
// transforms; the zero taps (11 -> 12) cost 19% of that.
//
// The blocked input and kernel are materialised in the calling thread's scratch (AlexNet: 0.62
// MB per image, about the size of x, and 166 KB for the kernel), rows of blocks filled in
// parallel; a large batch goes through in groups of images of at most 8 MB of blocks, so the
// (grow-only) scratch stays bounded. Winograd tiles never straddle images, so the grouping does
// not change any result.
// Results are those of the Winograd path on X: bit-identical for any thread count, and within
// Winograd's rounding of the direct result (tests: tests/conv/test_conv_s2d.py).
#include <omp.h>

#include <algorithm>
#include <cstring>

#include "common/buffer.h"
#include "common/parallel.h"
#include "conv/conv_winograd.h"

namespace fastconv {
namespace {

// thread_scratch slots of the blocked input and kernel: 10 and 11 (0-9 are taken, and
// conv2d_maxpool_fwd's slot 9 holds the map this call writes).
constexpr int kScratchBlocks = 10;
constexpr int kScratchBlockKernel = 11;
constexpr int64_t kMaxBlockFloats = int64_t{1} << 21;  // 8 MB of blocked images per group

// The stride-1 3x3 problem on the blocks, or false when s is not a stride-s convolution whose
// blocked kernel is 3x3.
bool blocked_shape(const ConvShape& s, ConvShape* b) {
  const int64_t st = s.sh;
  if (st < 2 || s.sw != st || s.dh != 1 || s.dw != 1) return false;
  if ((s.kh + st - 1) / st != 3 || (s.kw + st - 1) / st != 3) return false;
  *b = ConvShape{};
  b->n = s.n;
  b->h = s.oh + 2;  // the blocks 'valid' outputs 0..OH-1 read
  b->w = s.ow + 2;
  b->c = s.c * st * st;
  b->kh = b->kw = 3;
  b->f = s.f;
  b->oh = s.oh;
  b->ow = s.ow;
  return true;
}

// X for images [0, count) of x: block (n, i, j) channel (p st + q) C + c = x[n, i st + p - pt,
// j st + q - pl, c], or 0 outside the image.
void block_images(const ConvShape& s, int64_t BH, int64_t BW, const float* x, int64_t count,
                  float* xb) {
  const int64_t st = s.sh, C = s.c, H = s.h, W = s.w, BC = C * st * st;
  const int64_t rows = count * BH;
  const int nt = threads_for(static_cast<double>(rows * BW * BC), 2.5e5);
#pragma omp parallel for schedule(static) num_threads(nt)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t n = r / BH, i = r % BH;
    float* dst_row = xb + r * BW * BC;
    for (int64_t p = 0; p < st; ++p) {
      const int64_t ih = i * st + p - s.pt;
      const bool row_ok = ih >= 0 && ih < H;
      const float* src_row = x + (n * H + (row_ok ? ih : 0)) * W * C;
      for (int64_t j = 0; j < BW; ++j) {
        float* dst = dst_row + j * BC + p * st * C;  // st pixels (q = 0..st-1) of C channels
        const int64_t iw0 = j * st - s.pl;
        if (!row_ok) {
          std::fill(dst, dst + st * C, 0.0f);
        } else if (iw0 >= 0 && iw0 + st <= W) {
          // st * C floats (12 for AlexNet): an inline loop, not a memcpy call per block
          const float* src = src_row + iw0 * C;
          for (int64_t k = 0; k < st * C; ++k) dst[k] = src[k];
        } else {
          for (int64_t q = 0; q < st; ++q) {
            const int64_t iw = iw0 + q;
            if (iw >= 0 && iw < W) std::memcpy(dst + q * C, src_row + iw * C, sizeof(float) * C);
            else std::fill(dst + q * C, dst + (q + 1) * C, 0.0f);
          }
        }
      }
    }
  }
}

}  // namespace

int conv_s2d_winograd_tile(const ConvShape& s) {
  ConvShape b;
  if (!blocked_shape(s, &b)) return 0;
  // Under "direct" nothing changes; "winograd"/"winograd4" and auto follow the 3x3 rules for
  // the blocked problem (enough tiles and channels to pay for the transforms).
  return conv_winograd_tile(b);
}

void conv2d_fwd_s2d_winograd(const ConvShape& s, int tile, const float* x, const float* w,
                             const float* bias, bool relu, float* y) {
  ConvShape b;
  if (!blocked_shape(s, &b)) return;
  const int64_t st = s.sh, C = s.c, F = s.f, H = s.h, W = s.w;
  const int64_t BC = b.c, BH = b.h, BW = b.w;

  // W: tap (a, b), channel (p st + q) C + c = w[a st + p, b st + q, c, :], or 0 past the kernel.
  float* wb = thread_scratch(kScratchBlockKernel, static_cast<size_t>(9 * BC * F));
  std::fill(wb, wb + 9 * BC * F, 0.0f);
  for (int64_t ki = 0; ki < s.kh; ++ki)
    for (int64_t kj = 0; kj < s.kw; ++kj) {
      const int64_t a = ki / st, p = ki % st, bb = kj / st, q = kj % st;
      float* dst = wb + ((a * 3 + bb) * BC + (p * st + q) * C) * F;
      std::memcpy(dst, w + (ki * s.kw + kj) * C * F, sizeof(float) * C * F);
    }

  const int64_t per_image = BH * BW * BC;
  const int64_t group = std::max<int64_t>(1, std::min(s.n, kMaxBlockFloats / per_image));
  float* xb = thread_scratch(kScratchBlocks, static_cast<size_t>(group * per_image));
  for (int64_t n0 = 0; n0 < s.n; n0 += group) {
    ConvShape bg = b;
    bg.n = std::min(group, s.n - n0);
    block_images(s, BH, BW, x + n0 * H * W * C, bg.n, xb);
    conv2d_fwd_winograd(bg, tile, xb, wb, bias, relu, y + n0 * s.oh * s.ow * F);
  }
}

}  // namespace fastconv
