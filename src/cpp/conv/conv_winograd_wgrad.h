// Winograd F(3x3, 2x2) backward-filter (conv2d_bwd_filter_winograd.cpp) and the rule that
// chooses it. The algorithm switch is the forward's (conv_winograd.h: FASTCONV_CONV_ALGO /
// set_conv_algo): 'direct' keeps conv2d_bwd_filter's other paths, 'winograd' forces this one
// for every 3x3 / stride 1 / dilation 1 shape, 'auto' takes it where it measured faster.
#pragma once

#include "conv/conv.h"

namespace fastconv {

// Whether conv2d_bwd_filter runs shape s with Winograd under the current choice.
bool conv_bwd_filter_use_winograd(const ConvShape& s);

// x (N,H,W,C), dy (N,OH,OW,F) -> dw (3,3,C,F), db (F) or null; requires 3x3, stride 1,
// dilation 1, any padding. Bit-identical for any thread count.
void conv2d_bwd_filter_winograd(const ConvShape& s, const float* x, const float* dy, float* dw,
                                float* db);

}  // namespace fastconv
