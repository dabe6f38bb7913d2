// Winograd F(2x2, 3x3) forward convolution and the switch that chooses the forward algorithm.
#pragma once

#include "conv/conv.h"

namespace fastconv {

struct Pool2dGeometry;  // pool/pool2d.h

// Forward algorithm for 3x3 / stride 1 / dilation 1 convolutions (everything else always runs
// the direct indirect-GEMM path). kAuto takes Winograd where it was measured faster.
enum class ConvAlgo { kAuto = 0, kDirect = 1, kWinograd = 2, kWinograd4 = 3 };

// The current choice: FASTCONV_CONV_ALGO=direct|winograd|winograd4|auto, read once at first use (an
// unknown value throws std::invalid_argument), unless set_conv_algo() overrode it.
ConvAlgo conv_algo();
void set_conv_algo(ConvAlgo algo);
bool parse_conv_algo(const char* name, ConvAlgo* out);
const char* conv_algo_name(ConvAlgo algo);

// Whether conv2d_fwd runs shape s with Winograd under the current choice, and with which output
// tile: 0 (not Winograd), 2 (F(2x2, 3x3)) or 4 (F(4x4, 3x3); "winograd4" forces it where the
// ISA has its transforms, else F(2x2, 3x3)).
bool conv_use_winograd(const ConvShape& s);
int conv_winograd_tile(const ConvShape& s);

// x (N,H,W,C), w (3,3,C,F), bias (F) or null -> y (N,OH,OW,F); requires 3x3, stride 1,
// dilation 1, any padding (top/bottom/left/right may differ).
// tile: 2 or 4, the output tile (conv_winograd_tile's choice; 4 falls back to 2 where the ISA
// has no F(4x4, 3x3) transforms).
void conv2d_fwd_winograd(const ConvShape& s, int tile, const float* x, const float* w,
                         const float* bias, bool relu, float* y);

// Whether conv2d_fwd_winograd_maxpool pools shape s's blocks (below) for pooling pg.
bool conv_winograd_pools_blocks(const ConvShape& s, int tile, const Pool2dGeometry& pg);

// maxpool2d_fwd(pg, conv2d_fwd_winograd(...)) into y (N, pg.oh, pg.ow, F) with each block of
// the convolution pooled while it is in L2, bit-identical to the two calls; or false (nothing
// written) where that does not apply (conv_winograd_pools_blocks): everything in one block, or
// windows that overlap vertically, start above row 0 or do not divide the output tile's
// height. pg == nullptr: conv2d_fwd_winograd.
bool conv2d_fwd_winograd_maxpool(const ConvShape& s, int tile, const Pool2dGeometry* pg,
                                 const float* x, const float* w, const float* bias, bool relu,
                                 float* y);

// Strided convolutions whose kernel, cut into stride x stride blocks, is 3x3 (AlexNet's 11x11
// stride 4; 5x5 or 6x6 stride 2; 7..9 stride 3): the Winograd tile conv2d_fwd uses for them on
// the space-to-depth image (conv/conv2d_s2d.cpp), or 0 (the direct path).
int conv_s2d_winograd_tile(const ConvShape& s);
// x (N,H,W,C), w (KH,KW,C,F) -> y (N,OH,OW,F) for a shape conv_s2d_winograd_tile accepts.
void conv2d_fwd_s2d_winograd(const ConvShape& s, int tile, const float* x, const float* w,
                             const float* bias, bool relu, float* y);

}  // namespace fastconv
