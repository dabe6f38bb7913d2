// Winograd F(3x3, 2x2) backward-filter (conv2d_bwd_filter_winograd.cpp) and the rule that
// chooses it. The algorithm switch is the forward's (conv_winograd.h: FASTCONV_CONV_ALGO /
// set_conv_algo): 'direct' keeps conv2d_bwd_filter's other paths, 'winograd' forces this one
// for every 3x3 / stride 1 / dilation 1 shape, 'auto' takes it where it measured faster.
#pragma once

#include "conv/conv.h"

namespace fastconv {

// The output tile conv2d_bwd_filter uses for shape s under the current choice: 0 (not
// Winograd), 2 (F(3x3, 2x2)) or 4 (F(3x3, 4x4), where the ISA has its transforms; 'winograd4'
// forces it).
int conv_bwd_filter_winograd_tile(const ConvShape& s);
bool conv_bwd_filter_use_winograd(const ConvShape& s);  // tile != 0

// x (N,H,W,C), dy (N,OH,OW,F) -> dw (3,3,C,F), db (F) or null, with output tiles of `tile`
// (2 or 4); requires 3x3, stride 1, dilation 1, any padding. Bit-identical for any thread
// count.
void conv2d_bwd_filter_winograd(const ConvShape& s, int tile, const float* x, const float* dy,
                                float* dw, float* db);

}  // namespace fastconv
