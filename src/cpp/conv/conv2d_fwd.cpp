// Convolution forward: y[M x F] = im2col(x)[M x K] . w[K x F] (+ bias) (relu), with
// M = N*OH*OW and K = KH*KW*C. The GEMM driver packs A through Im2colPackA, which gathers
// receptive fields from x while packing; w (KH,KW,C,F) already is the row-major K x F matrix.
#include "conv/conv.h"
#include "conv/conv_pack.h"
#include "conv/conv_gemm.h"
#include "gemm/driver.h"

namespace fastconv {

// x (N,H,W,C), w (KH,KW,C,F), bias (F) or null -> y (N,OH,OW,F).
void conv2d_fwd(const ConvShape& s, const float* x, const float* w, const float* bias, bool relu,
                float* y) {
  // A 1x1 stride-1 unpadded convolution reads each input pixel once: x itself is the M x C
  // matrix A, and the plain matrix packer is cheaper than the gather.
  const bool pointwise = s.kh == 1 && s.kw == 1 && s.sh == 1 && s.sw == 1 && s.pt == 0 &&
                         s.pb == 0 && s.pl == 0 && s.pr == 0;
  MatrixPackA plain(x, s.c, false);
  Im2colPackA gather(s, x);
  MatrixPackB pb(w, s.f, false);
  GemmProblem g;
  g.m = s.m();
  g.n = s.f;
  g.k = s.k();
  g.a = pointwise ? static_cast<const PackA*>(&plain) : &gather;
  g.b = &pb;
  g.c = y;
  g.ldc = s.f;
  g.bias = bias;
  g.relu = relu;
  conv_gemm_rows(g);
}

}  // namespace fastconv
