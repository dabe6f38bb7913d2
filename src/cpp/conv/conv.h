// 2-D convolution, NHWC activations and HWIO kernels, all three passes on the shared GEMM
// engine (gemm/driver.h). With M = N*OH*OW output pixels, K = KH*KW*C and F filters:
//   forward        y[M x F]  = im2col(x)[M x K] . w[K x F]        (+ bias) (relu)
//   backward-data  dx        = col2im(dy[M x F] . w^T[F x K])     (or a transposed conv)
//   backward-filt  dw[K x F] = im2col(x)^T[K x M] . dy[M x F],   db = column sums of dy
// im2col is never materialised for the whole batch: the packers in conv_pack.h gather from
// the image while they fill the GEMM's packed panels.
#pragma once

#include <cstdint>

namespace fastconv {

// Geometry of one convolution. All sizes are int64_t because products such as N*OH*OW*K
// exceed 2^31 for realistic batches.
struct ConvShape {
  int64_t n = 0, h = 0, w = 0, c = 0;     // input (N, H, W, C)
  int64_t kh = 0, kw = 0, f = 0;          // kernel (KH, KW, C, F)
  int64_t sh = 1, sw = 1;                 // strides
  int64_t pt = 0, pb = 0, pl = 0, pr = 0; // zero padding top, bottom, left, right
  int64_t dh = 1, dw = 1;                 // dilation
  int64_t oh = 0, ow = 0;                 // output height, width (derived)

  int64_t m() const { return n * oh * ow; }  // GEMM rows: output pixels
  int64_t k() const { return kh * kw * c; }  // GEMM depth: one receptive field
  // 1x1, stride 1, no padding: im2col(x) is x itself, the M x C matrix.
  bool pointwise() const {
    return kh == 1 && kw == 1 && sh == 1 && sw == 1 && pt == 0 && pb == 0 && pl == 0 && pr == 0;
  }
};

// Validates the geometry (positive sizes, kernel fits the padded input) and fills oh/ow.
// `op` names the entry point in the std::invalid_argument message.
void conv_finish_shape(ConvShape* s, const char* op);

// x (N,H,W,C), w (KH,KW,C,F), bias (F) or null -> y (N,OH,OW,F); relu applied after bias.
void conv2d_fwd(const ConvShape& s, const float* x, const float* w, const float* bias, bool relu,
                float* y);

// The single-channel direct path of conv2d_fwd (C == 1, at most 9 taps, an ISA kernel for it):
// a zero-padded copy of x (the calling thread's scratch slot 5) and each tap's offset in it;
// conv_direct1_row writes output row r (= n * OH + oh: OW x F floats at yrow).
bool conv_direct1_applies(const ConvShape& s);
struct Direct1Input {
  const float* xp = nullptr;
  int64_t hp = 0, wp = 0;
  int64_t off[9] = {};
};
Direct1Input conv_direct1_input(const ConvShape& s, const float* x);
void conv_direct1_row(const ConvShape& s, const Direct1Input& in, int64_t r, const float* w,
                      const float* bias, bool relu, float* yrow);

struct Pool2dGeometry;
// Inference: y = maxpool(conv2d_fwd(x)) with the pooling geometry pg over the (N, OH, OW, F)
// map, bit-identical to the two calls; fused (the map never written out) on the direct
// single-channel path and, for windows that tile the rows, on Winograd's blocked path
// (conv/conv2d_maxpool.cpp).
void conv2d_maxpool_fwd(const ConvShape& s, const Pool2dGeometry& pg, const float* x,
                        const float* w, const float* bias, bool relu, float* y);
// Which way conv2d_maxpool_fwd goes for s and pg (for tests): "direct1_rows" (pooled row by
// row), "winograd_blocks" (pooled block by block) or "map" (the whole map, then the pooling).
const char* conv2d_maxpool_path(const ConvShape& s, const Pool2dGeometry& pg);

// Supplies the forward pass's weight operand (K x F, K = KH*KW*C in tap-major order) panel by
// panel: pack(j0, nj, nr, dst) writes columns [j0, j0 + nj) as a K x nr block, row k at
// dst + k * nr, zeros in columns nj..nr-1. Called concurrently for different panels.
class ConvWeightSource {
 public:
  virtual ~ConvWeightSource() = default;
  virtual void pack(int64_t j0, int64_t nj, int nr, float* dst) const = 0;
  // The K x F matrix itself, row-major with rows *ld floats apart, when it exists in memory
  // (the microkernel can then read panels in place); null otherwise.
  virtual const float* in_place(int64_t* ld) const {
    (void)ld;
    return nullptr;
  }
};

// The forward pass on the indirect-GEMM path with the weights taken from `w` (so a caller can
// present a transformed kernel, e.g. backward-data's flipped transpose, without materialising
// it). Returns false, doing nothing, where that path does not apply to `s` (no such kernel for
// the ISA, a depth too large for it, or the single-channel direct kernel would be used): the
// caller then materialises the kernel and calls conv2d_fwd.
bool conv2d_fwd_igemm(const ConvShape& s, const float* x, const ConvWeightSource& w,
                      const float* bias, bool relu, float* y);

// dy (N,OH,OW,F), w (KH,KW,C,F) -> dx (N,H,W,C).
void conv2d_bwd_data(const ConvShape& s, const float* dy, const float* w, float* dx);

// x (N,H,W,C), dy (N,OH,OW,F) -> dw (KH,KW,C,F), db (F) (db may be null).
void conv2d_bwd_filter(const ConvShape& s, const float* x, const float* dy, float* dw, float* db);

}  // namespace fastconv
