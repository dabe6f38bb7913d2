// 2-D pooling over NHWC float32 (TensorFlow/Keras semantics): windows are clipped to the real
// input, so padding cells never win a max and never count in an average's divisor.
//   maxpool2d_fwd / avgpool2d_fwd:  x (N,H,W,C) -> y (N,OH,OW,C)
//   maxpool2d_bwd:                  x (N,H,W,C), dy (N,OH,OW,C) -> dx (N,H,W,C) [ReLU-masked]
//   avgpool2d_bwd:                  dy (N,OH,OW,C) -> dx (N,H,W,C)
//   global_*pool2d_fwd:             x (N,H,W,C) -> y (N,C); bwd -> dx (N,H,W,C)
#pragma once

#include <cstdint>

namespace fastconv {

struct Pool2dGeometry {
  int64_t n = 0, h = 0, w = 0, c = 0;
  int64_t ph = 1, pw = 1;      // pool window
  int64_t sh = 1, sw = 1;      // strides
  int64_t pt = 0, pb = 0, pl = 0, pr = 0;  // explicit padding (top, bottom, left, right)
  int64_t oh = 0, ow = 0;      // output size
};

// The real (non-padding) input cells [r0, r1) x [c0, c1) of output pixel (oh, ow)'s window.
struct Pool2dWindow {
  int64_t r0, r1, c0, c1;
};
inline Pool2dWindow pool2d_window(const Pool2dGeometry& g, int64_t oh, int64_t ow) {
  const int64_t rs = oh * g.sh - g.pt, cs = ow * g.sw - g.pl;
  return {rs > 0 ? rs : 0, rs + g.ph < g.h ? rs + g.ph : g.h, cs > 0 ? cs : 0,
          cs + g.pw < g.w ? cs + g.pw : g.w};
}

// Validates the arguments (ValueError naming `op`) and computes OH, OW. Every window must hold at
// least one real cell.
Pool2dGeometry make_pool2d_geometry(const char* op, int64_t n, int64_t h, int64_t w, int64_t c,
                                    int64_t ph, int64_t pw, int64_t sh, int64_t sw, int64_t pt,
                                    int64_t pb, int64_t pl, int64_t pr);
// The whole image as one window.
Pool2dGeometry global_pool2d_geometry(const char* op, int64_t n, int64_t h, int64_t w,
                                      int64_t c);

void maxpool2d_fwd(const Pool2dGeometry& g, const float* x, float* y);
// relu_mask: x is a ReLU's output and dx the gradient of the ReLU's input (see ukernel.h).
void maxpool2d_bwd(const Pool2dGeometry& g, const float* x, const float* dy, float* dx,
                   bool relu_mask = false);
void avgpool2d_fwd(const Pool2dGeometry& g, const float* x, float* y);
void avgpool2d_bwd(const Pool2dGeometry& g, const float* dy, float* dx);

}  // namespace fastconv
